"""Property tests (hypothesis) on the inputs a dancer or a client controls: the request text, the
practice log, song and clip uploads. Whatever arrives, the answer is a clear refusal or a
correct row, never a 5xx, never a half-stored row, never a file outside MEDIA_ROOT."""

from __future__ import annotations

import functools
import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from choreography import vocab
from choreography.errors import AudioError, MediaError
from choreography.intent import DURATION_RANGE_S, TEMPO_RANGE_BPM, parse_request
from choreography.models import Job, MoveProgress, PracticeSession, Song
from choreography.services.catalog import CLIP_EXTENSIONS, check_clip_upload
from choreography.services.files import media_path
from choreography.services.practice import MAX_SECONDS_PER_BATCH
from choreography.services.songs import SONG_EXTENSIONS
from tests.factories import make_move, make_routine
from tests.job_support import jobs_run_on_commit

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

# --------------------------------------------------------------------------- the request parser

DANCE_WORDS = (
    "turns|spins|whirls|dips|body waves|hip rolls|footwork|shadow|hammerlock|cross body lead|arm styling|"
    "syncopation|beginner|intermediate|advanced|pro|sensual|dominican|moderna|traditional|romantic|energetic|"
    "playful|smooth|no|not|without|never|lots of|a few|some|many|and|but|with|,|.|!|2 minutes|90 seconds|1:30|"
    "half a minute|a minute and a half|128 bpm|tempo 300|10 years|short|long|0|99999999999999999999 minutes|"
    "1e309 seconds|-5 minutes|dips dips dips|no turns but lots of turns|é|ñ|\u2019|\x00|\u202e|😀"
).split("|")
request_texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(DANCE_WORDS), st.text(max_size=6)), max_size=25).map(" ".join),
    # Very long: past the parser's 1000-character limit.
    st.tuples(st.sampled_from(DANCE_WORDS), st.integers(min_value=100, max_value=2000)).map(lambda p: p[0] * p[1]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30).map(lambda s: s * 200),
)
profile_levels = st.one_of(st.none(), st.sampled_from(vocab.LEVELS), st.text(max_size=12))


def _assert_a_valid_request(request) -> None:
    assert request.level is None or request.level in vocab.LEVELS
    assert request.style is None or request.style in vocab.STYLES
    assert request.mood is None or request.mood in vocab.MOODS
    assert set(request.include) <= set(vocab.ELEMENTS)
    assert set(request.include.values()) <= {"lots", "some"}
    assert set(request.exclude) <= set(vocab.ELEMENTS)
    assert not set(request.include) & set(request.exclude)
    assert set(request.conflicts) <= set(request.exclude)
    if request.duration_s is not None:
        assert DURATION_RANGE_S[0] <= request.duration_s <= DURATION_RANGE_S[1]
    if request.tempo_bpm is not None:
        assert TEMPO_RANGE_BPM[0] <= request.tempo_bpm <= TEMPO_RANGE_BPM[1]
    assert all(isinstance(note, str) and note for note in request.notes)
    json.dumps(request.to_dict())


@settings(max_examples=300, deadline=None)
@given(text=request_texts, profile_level=profile_levels)
@example(text="no turns, lots of dips, 2 minutes at 128 bpm, sensual and romantic", profile_level="beginner")
@example(text="", profile_level="nonsense")
@example(text="\x00" * 5000, profile_level=None)
def test_the_parser_reads_any_text_into_the_vocabulary(text, profile_level):
    request = parse_request(text, profile_level=profile_level, encoder=False)
    _assert_a_valid_request(request)
    if profile_level in vocab.LEVELS and request.level is None:
        pytest.fail("the profile level was lost")


@pytest.fixture(scope="module")
def minilm():
    from choreography.embeddings import get_text_encoder

    return get_text_encoder()


@settings(max_examples=12, deadline=None, suppress_health_check=FIXTURES)
@given(text=request_texts)
@example(text="no whirling, plenty of swaying and slinky moves for a first-timer")
def test_the_parser_with_minilm_stays_in_the_vocabulary(minilm, text):
    _assert_a_valid_request(parse_request(text, profile_level="intermediate", encoder=minilm))


# --------------------------------------------------------------------------- the practice log

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(min_value=0, max_value=MAX_SECONDS_PER_BATCH),
)
datetime_strings = st.one_of(
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    # Well-formed but impossible dates and offsets: "2024-02-30T25:00+99:00".
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?\Z"),
    st.text(max_size=30),
)
slugs = st.sampled_from(["basic-step", "side-turn", "not-in-routine", "", "basic-step\x00"])
practice_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "client_id": st.one_of(st.text(max_size=70), json_values),
            "batch": st.one_of(st.integers(min_value=-3, max_value=10**20), json_values),
            "started_at": st.one_of(datetime_strings, json_values),
            "seconds": st.one_of(numbers, json_values),
            "speeds": st.one_of(
                st.dictionaries(st.one_of(st.text(max_size=6), numbers.map(str)), st.one_of(numbers, json_values)),
                json_values,
            ),
            "loops": st.one_of(st.dictionaries(slugs, st.one_of(st.integers(), json_values)), json_values),
            "move_speeds": st.one_of(st.dictionaries(slugs, st.one_of(numbers, json_values)), json_values),
        },
    ),
)
malformed_bodies = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=50).map(lambda b: b"\xff\xfe" + b + b"\xc3\x28"),
    st.integers(min_value=1, max_value=20_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=20_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(min_value=4000, max_value=6000).map(lambda digits: b'{"seconds": ' + b"9" * digits + b"}"),
    st.sampled_from([b"", b"null", b"NaN", b'{"seconds": NaN}', b'{"seconds": Infinity}', b'{"seconds": 1e999}']),
)


@pytest.fixture
def practice(db, owner):
    routine = make_routine(owner)
    client = Client()
    client.force_login(owner)
    return {
        "routine": routine,
        "client": client,
        "urls": [reverse("practice_log", args=[routine.pk]), reverse("api:routine_practice", args=[routine.pk])],
    }


def _rows() -> tuple[int, int, list]:
    sessions = list(PracticeSession.objects.order_by("pk").values_list("seconds_practised", "speeds_used"))
    return (
        PracticeSession.objects.count(),
        MoveProgress.objects.count(),
        sessions + list(MoveProgress.objects.order_by("pk").values_list("loops", "best_speed")),
    )


def _post_practice(practice: dict, body: bytes, which: int):
    before = _rows()
    response = practice["client"].post(practice["urls"][which], data=body, content_type="application/json")
    assert response.status_code in (200, 400), (response.status_code, body[:200])
    if response.status_code == 400:
        assert response.content.strip(), "a 400 must say why"
        assert _rows() == before, "a refused batch stored something"
    return response


@pytest.mark.slow
@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(payload=practice_payloads, which=st.sampled_from([0, 1]))
@example(payload={"seconds": 10, "started_at": "2024-02-30T10:00"}, which=0)
@example(payload={"seconds": 10, "started_at": "2024-02-30T10:00"}, which=1)
@example(payload={"seconds": 10, "started_at": "9999-12-31T23:59:59-23:59"}, which=1)
@example(payload={"seconds": 10, "started_at": "0001-01-01T00:00:00+01:00"}, which=0)
@example(payload={"seconds": 10, "client_id": "nul\x00"}, which=1)
@example(payload={"seconds": 10, "client_id": "\ud800"}, which=0)
@example(payload={"seconds": 10, "batch": 10**30}, which=1)
def test_any_json_gets_a_clear_answer_and_a_refusal_stores_nothing(practice, payload, which):
    body = json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass")
    _post_practice(practice, body, which)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(body=malformed_bodies, which=st.sampled_from([0, 1]))
@example(body=b"[" * 100_000, which=0)
@example(body=b"[" * 100_000, which=1)
def test_malformed_bodies_are_refused(practice, body, which):
    response = _post_practice(practice, body, which)
    if response.status_code == 200:
        # Only a body that is a valid practice log may pass: "{}" and friends do not.
        assert json.loads(body)["seconds"] is not None


batches = st.fixed_dictionaries(
    {
        "seconds": st.one_of(
            st.integers(min_value=0, max_value=MAX_SECONDS_PER_BATCH),
            st.floats(min_value=0, max_value=MAX_SECONDS_PER_BATCH),
        )
    },
    optional={
        "speeds": st.dictionaries(
            st.sampled_from(["0.25", "0.5", "0.75", "1", "1.0", "1.25", "2"]),
            st.floats(min_value=0, max_value=MAX_SECONDS_PER_BATCH),
            max_size=3,
        ),
        "loops": st.dictionaries(st.sampled_from(["basic-step", "side-turn"]), st.integers(0, 10_000), max_size=2),
        "move_speeds": st.dictionaries(
            st.sampled_from(["basic-step", "side-turn"]), st.floats(min_value=0.01, max_value=2.0), max_size=2
        ),
        "started_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    },
)


@pytest.mark.slow
@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(sent=st.lists(st.tuples(batches, st.sampled_from([0, 1])), min_size=1, max_size=4), resend=st.booleans())
def test_valid_batches_add_up(practice, sent, resend):
    client_id = uuid.uuid4().hex
    loops_before = dict(MoveProgress.objects.values_list("move__slug", "loops"))
    for batch_number, (batch, which) in enumerate(sent):
        body = json.dumps({**batch, "client_id": client_id, "batch": batch_number}).encode()
        response = _post_practice(practice, body, which)
        assert response.status_code == 200, response.content
        if resend:
            # A batch resent after a lost reply is counted once.
            assert _post_practice(practice, body, 1 - which).status_code == 200
    session = PracticeSession.objects.get(client_id=client_id)
    assert session.seconds_practised == pytest.approx(sum(batch["seconds"] for batch, _ in sent))
    for slug in ("basic-step", "side-turn"):
        sent_loops = sum(batch.get("loops", {}).get(slug, 0) for batch, _ in sent)
        stored = MoveProgress.objects.filter(move__slug=slug).values_list("loops", flat=True).first() or 0
        assert stored == loops_before.get(slug, 0) + sent_loops
        assert session.loops_per_move.get(slug, 0) == sent_loops


# --------------------------------------------------------------------------- saved loops

loop_numbers = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 0.3, 3.75, 7.5, 7.55, "1", "", True, [], {}]),
)
loop_payloads = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=80), st.sampled_from(["", "   ", "a" * 60, " a" * 31, "x\x00"]), st.none()),
        "start_s": loop_numbers,
        "end_s": loop_numbers,
        "first_move": loop_numbers,
        "last_move": loop_numbers,
    },
)


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(payload=loop_payloads)
@example(payload={"name": " Turn ", "first_move": 1})
@example(payload={"name": "Intro", "start_s": 0, "end_s": 7.55})
@example(payload={"name": "Intro", "start_s": 1e308, "end_s": float("inf")})
def test_a_saved_loop_is_refused_clearly_or_stored_within_the_routine(practice, payload):
    from choreography.models import SavedLoop

    url = reverse("api:routine_loop_list", args=[practice["routine"].pk])
    before = SavedLoop.objects.count()
    body = json.dumps(payload, allow_nan=True).encode("utf-8", "surrogatepass")
    response = practice["client"].post(url, data=body, content_type="application/json")
    assert response.status_code in (201, 400), (response.status_code, payload)
    if response.status_code == 400:
        assert response.json()["error"], "a 400 must say why"
        assert SavedLoop.objects.count() == before, "a refused loop was stored"
        return
    loop = SavedLoop.objects.get(pk=response.json()["id"])
    assert 1 <= len(loop.name) <= 60 and loop.name == loop.name.strip()
    if loop.kind == "seconds":
        assert 0 <= loop.start_s < loop.end_s <= 7.5
    else:
        assert 0 <= loop.first_move <= loop.last_move <= 1


# --------------------------------------------------------------------------- uploads

GENERATED_SONG_NAME = re.compile(r"songs/originals/[0-9a-f]{32}(\.[a-z0-9]{1,7})?")
GENERATED_CLIP_NAME = re.compile(r"clips/originals/[0-9a-f]{32}(\.[a-z0-9]{1,7})?")
BOUNDARY = "FuzzBoundaryx7MA4YWxkTrZu0gW"

upload_names = st.one_of(
    st.tuples(
        st.sampled_from(["", "../", "../../", "/etc/", "..\\..\\", "a/b/", "%2e%2e/", "./"]),
        st.text(max_size=20),
        st.sampled_from(["", ".", ".."] + [*SONG_EXTENSIONS, *CLIP_EXTENSIONS, ".MP3", ".mp3.exe", ".txt", ".mp3 "]),
    ).map("".join),
    st.text(min_size=200, max_size=400).map(lambda s: s + ".mp3"),
    st.sampled_from(["../../x.mp3", "..", ".mp3", "con.wav", "a\x00b.mp3", "a\r\nb.mp3", '"quoted".mp3']),
)
garbage_bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"ID3" + b"\x00" * 256, b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC" + b"\x00" * 40]),
)


@functools.cache
def _real_song() -> bytes:
    """A real 12 s song (WAV: the upload probes content, not the name), so hostile names meet a real file."""
    import io

    import soundfile

    from tests.audio_formats import reference_song

    song = reference_song(8000)
    buffer = io.BytesIO()
    soundfile.write(buffer, song.samples[: 12 * 8000], 8000, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


upload_bodies = st.one_of(garbage_bodies, st.builds(_real_song))


def _multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes, star: bool) -> bytes:
    """A multipart body written by hand: Django's test client would strip the path from the name."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    if star:
        # RFC 2231 carries any name, slashes and line breaks included.
        disposition = f"filename*=UTF-8''{quote(filename, safe='')}"
    else:
        disposition = 'filename="{}"'.format(re.sub(r'["\r\n]', "_", filename))
    header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; {disposition}\r\n'
    parts.append(header.encode("utf-8", "surrogatepass") + b"Content-Type: application/octet-stream\r\n\r\n")
    parts.append(content + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


@pytest.fixture
def uploads(db, owner, settings, tmp_path):
    # MEDIA_ROOT two folders down, so "../../x" would land in tmp_path where the test can see it.
    settings.MEDIA_ROOT = str(tmp_path / "site" / "var" / "media")
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"routine_create": "100000/hour", "song_upload": "100000/hour"},
    }
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex},
    }
    caches["throttle"].clear()
    client = Client()
    client.force_login(owner)
    return {"client": client, "root": tmp_path, "media": Path(settings.MEDIA_ROOT)}


def _files_outside_media(uploads: dict) -> list[Path]:
    return [p for p in uploads["root"].rglob("*") if p.is_file() and uploads["media"] not in p.parents]


def _check_stored(song: Song, uploads: dict) -> None:
    assert GENERATED_SONG_NAME.fullmatch(song.upload.name), song.upload.name
    path = media_path(song.upload.name).resolve()
    assert uploads["media"].resolve() in path.parents
    assert path.is_file()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(filename=upload_names, content=upload_bodies, star=st.booleans(), page=st.booleans())
@example(filename="../../x.mp3", content=b"ID3 not really", star=True, page=False)
@example(filename="../../x.mp3", content=b"ID3 not really", star=True, page=True)
def test_song_uploads_are_refused_clearly_or_stored_under_a_generated_name(uploads, filename, content, star, page):
    url = reverse("song_list") if page else reverse("api:song_list")
    body = _multipart({"title": ""}, "file", filename, content, star)
    before = set(Song.objects.values_list("pk", flat=True))
    response = uploads["client"].post(url, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")
    created = Song.objects.exclude(pk__in=before)
    if page:
        # 400: Django refused the multipart body itself (a name past its header limit).
        assert response.status_code in (200, 302, 400), response.status_code
        if response.status_code == 200:
            assert response.context["form"].errors, "a refused upload must say why"
    else:
        assert response.status_code in (202, 400), (response.status_code, response.content[:300])
        if response.status_code == 400:
            assert response.json()["error"]
    accepted = response.status_code in (202, 302)
    assert created.count() == (1 if accepted else 0)
    if accepted:
        song = created.get()
        _check_stored(song, uploads)
        # The name's own extension, or none where what reached the server was only one (".mp3").
        assert Path(song.upload.name).suffix in (*SONG_EXTENSIONS, "")
    assert _files_outside_media(uploads) == []


@pytest.mark.django_db
@settings(max_examples=6, deadline=None, suppress_health_check=FIXTURES)
@given(
    filename=st.sampled_from(["../../x.mp3", "song.wav", "a.flac", "b.m4a", "c.ogg", "ü" * 100 + ".opus"]),
    content=garbage_bodies,
)
def test_an_upload_that_is_not_audio_is_refused_at_the_door(uploads, filename, content):
    body = _multipart({"title": "x"}, "file", filename, b"\x00" + content, star=True)
    response = uploads["client"].post(
        reverse("api:song_list"), data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 400, response.content
    message = response.json()["error"]
    # The dancer's own file name, never where the server would have kept it.
    assert "“" in message and "songs/" not in message and ".." not in message
    assert not Song.objects.exists()
    assert not Job.objects.exists()
    assert [path for path in uploads["root"].rglob("*") if path.is_file()] == []


class _Upload:
    """An upload as check_clip_upload sees it: a name and a size, no bytes held."""

    def __init__(self, name: str | None, size: int):
        self.name, self.size = name, size


@settings(max_examples=200, deadline=None)
@given(name=st.one_of(st.none(), upload_names), size=st.integers(min_value=0, max_value=10**13))
def test_the_clip_check_refuses_or_passes_by_name_and_size(name, size):
    upload = _Upload(name, size)
    ok = (name or "").lower().endswith(CLIP_EXTENSIONS) and size <= django_settings.CLIP_MAX_BYTES
    try:
        check_clip_upload(upload)
    except MediaError as exc:
        assert not ok
        assert str(exc)
    else:
        assert ok


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES)
@given(filename=upload_names, content=upload_bodies, star=st.booleans())
def test_the_admin_clip_form_refuses_clearly_or_stores_under_a_generated_name(
    django_user_model, uploads, filename, content, star
):
    from choreography.models import MoveClip

    move = make_move("basic-step")
    admin, _ = django_user_model.objects.get_or_create(username="ada", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    fields = {"move": str(move.pk), "recorded_bpm": "120", "count1_s": "0", "_save": "Save"}
    body = _multipart(fields, "original", filename, content, star)
    before = set(MoveClip.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:choreography_moveclip_add"), data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code in (200, 302, 400), response.status_code
    created = MoveClip.objects.exclude(pk__in=before)
    if response.status_code != 302:
        assert response.status_code == 400 or response.context["adminform"].form.errors
        assert not created.exists()
    else:
        clip = created.get()
        assert GENERATED_CLIP_NAME.fullmatch(clip.original.name), clip.original.name
        assert uploads["media"].resolve() in media_path(clip.original.name).resolve().parents
    assert _files_outside_media(uploads) == []


def test_song_upload_names_are_generated_whatever_the_user_sent():
    from choreography.models import song_upload_to

    @settings(max_examples=200, deadline=None)
    @given(name=st.text())
    def check(name):
        stored = song_upload_to(None, name)
        assert stored.startswith("songs/originals/")
        assert "/" not in stored.removeprefix("songs/originals/")
        assert ".." not in Path(stored).parts

    check()


def test_an_upload_of_exactly_the_limit_passes_the_checks(settings):
    settings.SONG_MAX_BYTES = 10
    from choreography.services.songs import _check_upload

    _check_upload(SimpleUploadedFile("a.mp3", b"x" * 10))
    with pytest.raises(AudioError):
        _check_upload(SimpleUploadedFile("a.mp3", b"x" * 11))


# --------------------------------------------------------------------------- email addresses: reset and change

hostile_addresses = st.one_of(
    st.emails(),
    st.emails().map(str.upper),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10).map(lambda s: s * 300 + "@example.com"),
    st.sampled_from(
        [
            "",
            " ",
            "olivia@example.com\r\nBcc: everyone@example.com",
            "olivia@example.com\nSubject: hi",
            "olivia@example.com, sam@example.com",
            "<script>alert(1)</script>@example.com",
            '"quoted\\"name"@example.com',
            "ölivia@exämple.com",
            "olivia@xn--exmple-cua.com",
            "olivia\x00@example.com",
            "\u202eolivia@example.com",
            "a@" + "b" * 250 + ".com",
            "@example.com",
            "olivia@",
            "x" * 100_000,
        ]
    ),
)


@pytest.fixture
def mail_world(db, owner, settings):
    """The owner has an address; reset requests are not throttled here (the repeated-requests test is)."""
    settings.PASSWORD_RESET_REQUEST_LIMITS = {"username": 10**6, "ip": 10**6}
    owner.email = "olivia@example.com"
    owner.save(update_fields=["email"])
    client = Client()
    client.force_login(owner)
    return {"owner": owner, "client": client}


def _mail_headers_are_clean(outbox) -> None:
    for message in outbox:
        for address in message.to:
            assert "\n" not in address and "\r" not in address and "," not in address
            assert address == address.lower()


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURES)
@given(address=hostile_addresses)
@example(address="OLIVIA@EXAMPLE.COM")
def test_the_reset_form_answers_every_address_alike(mail_world, address):
    from django.core import mail

    mail.outbox = []
    with jobs_run_on_commit():
        response = Client().post(reverse("password_reset"), {"email": address})
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response["Location"] == reverse("password_reset_done")
    # A mail goes only to the account's own stored address, whatever was typed.
    assert {tuple(message.to) for message in mail.outbox} <= {("olivia@example.com",)}
    _mail_headers_are_clean(mail.outbox)


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURES)
@given(address=hostile_addresses, api=st.booleans())
def test_an_email_change_is_refused_clearly_or_only_mailed(mail_world, address, api):
    from django.contrib.auth import get_user_model
    from django.core import mail

    mail.outbox = []
    client, owner = mail_world["client"], mail_world["owner"]
    if api:
        response = client.patch(reverse("api:profile"), json.dumps({"email": address}), content_type="application/json")
        assert response.status_code in (200, 202, 400), response.status_code
    else:
        response = client.post(reverse("email_change"), {"email": address})
        assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert mail.outbox == []
    # Nothing changes before the link is opened.
    assert get_user_model().objects.get(pk=owner.pk).email == "olivia@example.com"
    _mail_headers_are_clean(mail.outbox)
    for message in mail.outbox[:1]:
        assert len(message.to[0]) <= 254


@pytest.mark.django_db
def test_repeated_reset_requests_are_throttled_not_failed(mail_world, settings):
    from django.core import mail

    settings.PASSWORD_RESET_REQUEST_LIMITS = {"username": 3, "ip": 50}
    mail.outbox = []
    with jobs_run_on_commit():
        statuses = [
            Client().post(reverse("password_reset"), {"email": "Olivia@example.com "}).status_code for _ in range(25)
        ]
    assert statuses == [302] * 3 + [429] * 22
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_repeated_email_changes_each_mail_and_only_the_last_link_is_wanted(mail_world):
    from django.core import mail

    client, owner = mail_world["client"], mail_world["owner"]
    mail.outbox = []
    for i in range(20):
        assert client.post(reverse("email_change"), {"email": f"new{i}@example.com"}).status_code == 302
    links = [re.search(r"https?://\S+", m.body).group(0) for m in mail.outbox if m.to[0].startswith("new")]
    assert len(links) == 20
    client.post(re.sub(r"^https?://[^/]+", "", links[-1]))
    owner.refresh_from_db()
    assert owner.email == "new19@example.com"
    # The older links are stale now: they name an address the account no longer has.
    assert client.post(re.sub(r"^https?://[^/]+", "", links[0])).status_code == 400
    owner.refresh_from_db()
    assert owner.email == "new19@example.com"


# --------------------------------------------------------------------------- delete my account, export my data

FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
# Near misses of the username: none of them confirms a deletion.
username_variants = st.sampled_from(
    [
        str.upper,
        str.title,
        lambda name: name + "\x00",
        lambda name: name[:-1],
        lambda name: name + name,
        lambda name: "\u202e" + name,
        lambda name: name.translate(FULLWIDTH),
        lambda name: name.replace("i", "ı"),
        lambda name: f"' OR username='{name}' --",
        lambda name: " \t" + name + "\r\n",  # spaces around it: still the username
    ]
)
hostile_confirmations = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    username_variants.map(lambda variant: variant("olivia")),
    st.sampled_from(["", " ", "sam", "x" * 100_000, "correct-horse-battery-staple", "correct-horse-battery-staple "]),
)


def _olivia():
    from django.contrib.auth import get_user_model

    from tests.factories import make_user

    return get_user_model().objects.filter(username="olivia").first() or make_user("olivia")


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(typed=hostile_confirmations, api=st.booleans())
def test_only_the_username_or_the_password_deletes_an_account(stranger, typed, api):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from tests.factories import PASSWORD

    user = _olivia()
    make_routine(user)
    confirms = typed.strip() == "olivia" or typed == PASSWORD
    if api:
        client = APIClient()
        client.force_authenticate(user)
        response = client.delete(reverse("api:profile"), {"confirm": typed}, format="json")
        assert response.status_code == (204 if confirms else 400), response.content[:200]
    else:
        client = Client()
        client.force_login(user)
        response = client.post(reverse("account_delete"), {"confirmation": typed})
        assert response.status_code == (302 if confirms else 400), response.status_code
    assert get_user_model().objects.filter(pk=user.pk).exists() != confirms
    # Another dancer is never touched.
    assert get_user_model().objects.filter(pk=stranger.pk).exists()


@pytest.mark.django_db
def test_repeated_deletes_delete_once_and_then_need_a_login(owner, stranger, jobs):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    key = Token.objects.create(user=owner).key
    make_routine(stranger)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with jobs():
        statuses = [
            api.delete(reverse("api:profile"), {"confirm": "olivia"}, format="json").status_code for _ in range(5)
        ]
    assert statuses == [204] + [401] * 4
    page = Client()
    page.force_login(stranger)
    page.post(reverse("logout"))
    assert page.post(reverse("account_delete"), {"confirmation": "sam"}).status_code == 302
    assert page.post(reverse("account_delete"), {"confirmation": "sam"})["Location"].startswith(reverse("login"))


@pytest.fixture
def export_world(db, owner, stranger, jobs):
    from accounts.export import data_export_request

    make_routine(owner)
    with jobs():
        export = data_export_request(user=owner)
    owner_client, stranger_client = Client(), Client()
    owner_client.force_login(owner)
    stranger_client.force_login(stranger)
    return {"export": export.pk, "owner": owner_client, "stranger": stranger_client}


export_ids = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=40),
    st.sampled_from(["-1", "1.0", "0x1", "%00", "..", "1%2F..", "١", "𝟙", "1" * 5000]),
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(
    export_id=export_ids,
    which=st.sampled_from(["api:profile_export_detail", "api:profile_export_download", "data_export_download"]),
)
@example(export_id="EXPORT", which="data_export_download")
def test_hostile_export_addresses_answer_404_and_only_the_owner_gets_theirs(export_world, export_id, which):
    export_id = str(export_world["export"]) if export_id == "EXPORT" else export_id
    url = reverse(which, args=[1]).replace("/1/", f"/{quote(export_id, safe='')}/", 1)
    for persona in ("owner", "stranger"):
        response = export_world[persona].get(url)
        mine = persona == "owner" and export_id == str(export_world["export"])
        assert response.status_code == (200 if mine else 404), (persona, url, response.status_code)


@pytest.mark.django_db
def test_repeated_export_requests_keep_one_export_and_one_archive(owner, jobs):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import DataExport
    from tests.account_support import stored_files

    make_routine(owner)
    page, api = Client(), Client()
    page.force_login(owner)
    api.force_login(owner)
    # Unbuilt (no jobs run): every request answers the one export being built.
    statuses = {api.post(reverse("api:profile_export")).status_code for _ in range(10)}
    statuses |= {page.post(reverse("data_export")).status_code for _ in range(10)}
    assert statuses == {202, 302}
    assert DataExport.objects.filter(owner=owner).count() == 1
    DataExport.objects.all().delete()
    # Built: asked again at once, the same one answers; a minute later a new one replaces it and its archive.
    ids = set()
    for _ in range(6):
        with jobs():
            response = api.post(reverse("api:profile_export"))
        assert response.status_code == 202
        ids.add(response.json()["id"])
    assert len(ids) == 1
    for _ in range(3):
        DataExport.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
        with jobs():
            ids.add(api.post(reverse("api:profile_export")).json()["id"])
    assert len(ids) == 4
    assert DataExport.objects.filter(owner=owner, status="ready").count() == 1
    assert len([name for name in stored_files() if name.startswith("exports/")]) == 1


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURES)
@given(
    # PostgreSQL refuses NUL in a text column; this test is about the export, not that refusal.
    title=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=200),
    loop_name=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), min_size=1, max_size=60),
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=5000),
)
def test_any_unicode_survives_the_export(owner, title, loop_name, text):
    import io
    import zipfile

    from django.core.files.storage import default_storage

    from accounts.export import DOCUMENT_NAME, data_export_build
    from accounts.models import DataExport
    from choreography.models import SavedLoop
    from tests.factories import make_song

    song = make_song(owner, title=title)
    routine = make_routine(owner, song=song)
    routine.text = text
    routine.save(update_fields=["text"])
    SavedLoop.objects.create(routine=routine, name=loop_name, kind="moves", first_move=0, last_move=1)
    export = DataExport.objects.create(owner=owner)
    export = data_export_build(export_id=export.pk)
    with default_storage.open(export.archive.name, "rb") as handle:
        document = json.loads(zipfile.ZipFile(io.BytesIO(handle.read())).read(DOCUMENT_NAME).decode("utf-8"))
    assert song.title in [item["title"] for item in document["songs"]]
    assert text in [item["text"] for item in document["routines"]]
    assert loop_name in [item["name"] for item in document["saved_loops"]]


@pytest.mark.django_db
def test_repeated_token_renewals_leave_only_the_last_key_working(owner):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = Client()
    client.force_login(owner)
    keys = []
    for _ in range(10):
        assert client.post(reverse("api_token_renew")).status_code == 302
        keys.append(Token.objects.get(user=owner).key)
    assert len(set(keys)) == 10
    api = APIClient()
    statuses = []
    for key in keys:
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        statuses.append(api.get(reverse("api:profile")).status_code)
    assert statuses == [401] * 9 + [200]
