"""Staff clip ingest: admin upload -> normalisation job -> canonical clip, previews, refusals; import_clips."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from choreography import clipformat
from choreography.models import Job, Move, MoveClip
from choreography.services.files import media_path
from tests.media_factory import make_click_song, make_foreign_clip, probe_streams

pytestmark = pytest.mark.django_db

# Tests that run a job commit for real: run_job closes stale connections first (as a long-lived
# worker must), which would end the transaction a plain django_db test lives in on PostgreSQL.
runs_jobs = pytest.mark.django_db(transaction=True)

NOT_A_VIDEO = b"this is a text file wearing a video's name\n" * 50


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    """Phone-like clips (640x360, 25 fps): 10 s (two phrases at 120 BPM after 0.5 s), 4.5 s (one) and 3 s."""
    folder = tmp_path_factory.mktemp("videos")
    return {
        "ten": Path(make_foreign_clip(folder / "ten.mp4", seconds=10)),
        "one-phrase": Path(make_foreign_clip(folder / "one.mp4", seconds=4.5)),
        "short": Path(make_foreign_clip(folder / "short.mp4", seconds=3)),
    }


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, videos) -> dict[str, bytes]:
    """Uploads that are no usable clip: text, a cut-off video, a song in an mp4 box, too short."""
    folder = tmp_path_factory.mktemp("bad")
    ten = videos["ten"].read_bytes()
    return {
        "text": NOT_A_VIDEO,
        "damaged": ten[: len(ten) // 2],
        "audio": Path(make_click_song(folder, [0.5 * beat for beat in range(16)], 8.0)).read_bytes(),
        "short": videos["short"].read_bytes(),
        "very-short": Path(make_foreign_clip(folder / "two.mp4", seconds=2)).read_bytes(),
    }


def _admin_upload(client: Client, move: Move, name: str, content: bytes, *, bpm="120", count1="0.5"):
    upload = SimpleUploadedFile(name, content, content_type="video/mp4")
    data = {"move": move.pk, "original": upload, "recorded_bpm": bpm, "count1_s": count1}
    return client.post(reverse("admin:choreography_moveclip_add"), data)


def _files_under(folder: str) -> list[Path]:
    root = media_path(folder)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def _assert_canonical(path: Path, *, counts: int, bpm: float = 120.0) -> None:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (clipformat.WIDTH, clipformat.HEIGHT)
        assert stream.average_rate == clipformat.FPS
    video = probe_streams(path)["video"]
    assert len(video.pts_s) == clipformat.frames_for_counts(counts, bpm)
    assert video.keyframes[0]


class TestAdminUpload:
    @runs_jobs
    def test_an_upload_becomes_a_canonical_ready_clip(self, staff_client, move, jobs, videos):
        with jobs():
            response = _admin_upload(staff_client, move, "basic.mp4", videos["ten"].read_bytes())
        assert response.status_code == 302, response.context["adminform"].form.errors
        clip = MoveClip.objects.get()
        assert clip.status == MoveClip.Status.READY, clip.error
        # 10 s from count 1 at 0.5 s: 9.5 s at 120 BPM holds two whole 8-count phrases.
        assert (clip.counts, clip.frames) == (16, 16 * 15)
        assert (clip.recorded_bpm, clip.count1_s, clip.is_demo) == (120.0, 0.5, False)
        _assert_canonical(media_path(clip.normalised.name), counts=16)
        # Its mirrored twin, made in the same pass, for the mirrored routine: canonical and as long.
        assert clip.normalised_mirrored.name != clip.normalised.name
        _assert_canonical(media_path(clip.normalised_mirrored.name), counts=16)
        assert media_path(clip.thumbnail.name).stat().st_size > 0
        assert len(clip.motion_features) == clipformat.MOTION_FEATURE_DIM
        assert all(0.0 <= value <= 1.0 for value in clip.motion_features)
        original = media_path(clip.original.name)
        assert original.read_bytes() == videos["ten"].read_bytes()

        preview_url = reverse("clip_preview", args=[clip.pk])
        page = staff_client.get(reverse("admin:choreography_moveclip_change", args=[clip.pk])).content.decode()
        assert f'<video src="{preview_url}"' in page
        page = staff_client.get(reverse("admin:choreography_move_change", args=[move.pk])).content.decode()
        assert f'<video src="{preview_url}"' in page
        page = staff_client.get(reverse("admin:choreography_moveclip_changelist")).content.decode()
        assert reverse("clip_thumbnail", args=[clip.pk]) in page

        response = staff_client.get(preview_url, HTTP_RANGE="bytes=0-99")
        assert response.status_code == 206
        size = media_path(clip.normalised.name).stat().st_size
        assert response["Content-Range"] == f"bytes 0-99/{size}"
        assert b"".join(response.streaming_content) == media_path(clip.normalised.name).read_bytes()[:100]
        assert staff_client.get(reverse("clip_thumbnail", args=[clip.pk])).status_code == 200

    @pytest.mark.parametrize(
        ("kind", "bpm", "count1", "message"),
        [
            ("text", "120", "0.5", "The file is not a video we can read (unknown format, or damaged)."),
            ("damaged", "120", "0.5", "The file is not a video we can read (unknown format, or damaged)."),
            ("audio", "120", "0.5", "The file is an audio file: it has no video track."),
            (
                "short",
                "120",
                "0.5",
                "The clip is too short for one 8-count phrase at 120 BPM after count 1 at 0.5 s (it lasts 3.00 s).",
            ),
            (
                "very-short",
                "",
                "",
                "The clip is too short for one 8-count phrase even at 200 BPM, the fastest tempo a clip may have "
                "(it lasts 2.00 s).",
            ),
        ],
    )
    def test_a_file_that_is_no_usable_video_is_refused_at_the_door(
        self, staff_client, move, jobs, bad_files, kind, bpm, count1, message
    ):
        with jobs():
            response = _admin_upload(staff_client, move, "take.mp4", bad_files[kind], bpm=bpm, count1=count1)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["original"] == [f"“take.mp4”: {message}"]
        assert f"“take.mp4”: {message}" in response.content.decode()
        # Nothing kept: no row, no file, no job, and no word of a normalisation.
        assert not MoveClip.objects.exists()
        assert not Job.objects.exists()
        assert _files_under("clips") == []
        assert "being normalised" not in response.content.decode()

    def test_without_a_tempo_a_clip_long_enough_at_some_tempo_is_kept(self, staff_client, move, jobs, videos):
        # 3 s holds one 8-count at 160 BPM: the tempo is found in the clip's music later.
        response = _admin_upload(staff_client, move, "short.mp4", videos["short"].read_bytes(), bpm="", count1="")
        assert response.status_code == 302
        assert MoveClip.objects.get().status == MoveClip.Status.QUEUED

    def test_a_kept_upload_says_it_is_being_normalised_and_the_input_accepts_videos(self, staff_client, move, videos):
        page = staff_client.get(reverse("admin:choreography_moveclip_add")).content.decode()
        assert 'accept="video/*,.mp4,.mov,.webm,.mkv,.avi,.m4v"' in page
        response = _admin_upload(staff_client, move, "basic.mp4", videos["one-phrase"].read_bytes(), count1="0.25")
        assert response.status_code == 302
        assert Job.objects.filter(func="choreography.jobs.clip_normalise").count() == 1
        page = staff_client.get(response["Location"]).content.decode()
        assert "The clip is being normalised; it is used once it is ready." in page

    def test_saving_a_clip_without_reprocessing_queues_nothing_and_says_nothing(self, staff_client, move, videos):
        response = _admin_upload(staff_client, move, "basic.mp4", videos["one-phrase"].read_bytes(), count1="0.25")
        staff_client.get(response["Location"])  # the upload's own messages are shown there
        clip = MoveClip.objects.get()
        Job.objects.all().delete()
        data = {"move": move.pk, "recorded_bpm": "120", "count1_s": "0.25"}
        response = staff_client.post(reverse("admin:choreography_moveclip_change", args=[clip.pk]), data, follow=True)
        assert response.status_code == 200
        assert not Job.objects.exists()
        assert "being normalised" not in response.content.decode()

    @runs_jobs
    def test_a_clip_the_job_cannot_normalise_fails_with_its_reason_shown(self, staff_client, move, jobs, videos):
        # Long enough at some tempo, but with no tempo given and no music to find one in: the job says so.
        with jobs():
            response = _admin_upload(staff_client, move, "quiet.mp4", videos["short"].read_bytes(), bpm="", count1="")
        assert response.status_code == 302
        clip = MoveClip.objects.get()
        assert clip.status == MoveClip.Status.FAILED
        assert "Give the tempo and the time of count 1." in clip.error
        assert not clip.normalised and not clip.thumbnail
        assert _files_under("clips/normalised") == [] and _files_under("clips/thumbnails") == []
        page = staff_client.get(reverse("admin:choreography_moveclip_change", args=[clip.pk])).content.decode()
        assert "Give the tempo and the time of count 1." in page
        assert "<video" not in page
        listing = staff_client.get(reverse("admin:choreography_moveclip_changelist") + "?status__exact=failed")
        assert listing.status_code == 200
        assert list(listing.context["cl"].queryset) == [clip]

    @pytest.mark.parametrize(
        ("name", "bpm", "count1", "field", "message"),
        [
            ("notes.txt", "120", "0", "original", "Unsupported clip type"),
            ("fine.mp4", "240", "0", "recorded_bpm", "between 60 and 200 BPM"),
            ("fine.mp4", "120", "-1", "count1_s", "cannot be negative"),
        ],
    )
    def test_a_bad_form_is_refused_and_creates_nothing(
        self, staff_client, move, jobs, name, bpm, count1, field, message
    ):
        with jobs():
            response = _admin_upload(staff_client, move, name, NOT_A_VIDEO, bpm=bpm, count1=count1)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert message in " ".join(errors[field])
        assert not MoveClip.objects.exists()
        assert _files_under("clips") == []

    def test_a_clip_over_the_size_limit_is_refused(self, staff_client, move, settings):
        settings.CLIP_MAX_BYTES = 100
        response = _admin_upload(staff_client, move, "big.mp4", NOT_A_VIDEO)
        assert response.status_code == 200
        assert "the limit is" in " ".join(response.context["adminform"].form.errors["original"])
        assert not MoveClip.objects.exists()


class TestPreviewAccess:
    @pytest.fixture
    def clip(self, move) -> MoveClip:
        name = "clips/normalised/stand-in.mp4"
        media_path(name).parent.mkdir(parents=True, exist_ok=True)
        media_path(name).write_bytes(b"\x00" * 1000)
        return MoveClip.objects.create(move=move, normalised=name, status=MoveClip.Status.READY)

    def test_non_staff_are_sent_to_the_admin_login(self, owner, clip, client):
        for visitor in (client, Client()):
            if visitor is client:
                visitor.force_login(owner)
            response = visitor.get(reverse("clip_preview", args=[clip.pk]), HTTP_RANGE="bytes=0-9")
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))

    def test_a_missing_clip_or_file_is_404(self, staff_client, clip):
        assert staff_client.get(reverse("clip_preview", args=[clip.pk + 1])).status_code == 404
        media_path(clip.normalised.name).unlink()
        assert staff_client.get(reverse("clip_preview", args=[clip.pk])).status_code == 404
        assert staff_client.get(reverse("clip_thumbnail", args=[clip.pk])).status_code == 404

    def test_staff_get_the_whole_file_or_a_range(self, staff_client, clip):
        response = staff_client.get(reverse("clip_preview", args=[clip.pk]))
        assert response.status_code == 200
        assert response["Accept-Ranges"] == "bytes"
        response = staff_client.get(reverse("clip_preview", args=[clip.pk]), HTTP_RANGE="bytes=990-")
        assert response.status_code == 206
        assert response["Content-Range"] == "bytes 990-999/1000"


class TestClipFiles:
    """Staff open a clip's original, normalised file and thumbnail from the admin, through staff-only views."""

    @pytest.fixture
    def clip(self, move) -> MoveClip:
        files = {
            "original": ("clips/originals/take.mov", b"o" * 2000),
            "normalised": ("clips/normalised/take.mp4", b"n" * 1500),
            "thumbnail": ("clips/thumbnails/take.jpg", b"t" * 500),
        }
        for name, content in files.values():
            media_path(name).parent.mkdir(parents=True, exist_ok=True)
            media_path(name).write_bytes(content)
        return MoveClip.objects.create(
            move=move, status=MoveClip.Status.READY, **{field: name for field, (name, _content) in files.items()}
        )

    @pytest.mark.parametrize(
        ("view", "content_type", "size"),
        [
            ("clip_original", "video/quicktime", 2000),
            ("clip_normalised", "video/mp4", 1500),
            ("clip_thumbnail", "image/jpeg", 500),
        ],
    )
    def test_staff_get_each_file_whole_or_in_ranges(self, staff_client, clip, view, content_type, size):
        url = reverse(view, args=[clip.pk])
        response = staff_client.get(url)
        assert response.status_code == 200
        assert (response["Content-Type"], response["Accept-Ranges"]) == (content_type, "bytes")
        assert int(response["Content-Length"]) == size
        response = staff_client.get(url, HTTP_RANGE="bytes=100-199")
        assert response.status_code == 206
        assert response["Content-Type"] == content_type
        assert response["Content-Range"] == f"bytes 100-199/{size}"
        assert len(b"".join(response.streaming_content)) == 100

    def test_the_admin_links_to_them_and_no_link_leads_to_a_404(self, staff_client, clip):
        urls = [reverse(view, args=[clip.pk]) for view in ("clip_original", "clip_normalised", "clip_thumbnail")]
        page = staff_client.get(reverse("admin:choreography_moveclip_change", args=[clip.pk])).content.decode()
        for url in urls:
            assert f'href="{url}"' in page
        # The file input's "Currently:" link opens the original through its view, not an unserved media URL.
        assert f'Currently: <a href="{urls[0]}">take.mov</a>' in page
        assert settings.MEDIA_URL + "clips/" not in page
        listing = staff_client.get(reverse("admin:choreography_moveclip_changelist")).content.decode()
        for url in urls:
            assert f'href="{url}"' in listing
        move_page = staff_client.get(reverse("admin:choreography_move_change", args=[clip.move_id])).content.decode()
        for url in urls:
            assert f'href="{url}"' in move_page
        for url in set(re.findall(r'(?:href|src)="(/clips/[^"]+)"', page + listing)):
            assert staff_client.get(url).status_code == 200, url

    @pytest.mark.parametrize("view", ["clip_original", "clip_normalised", "clip_thumbnail"])
    def test_dancers_and_visitors_are_sent_to_the_admin_login(self, owner, clip, view):
        dancer = Client()
        dancer.force_login(owner)
        for visitor in (dancer, Client()):
            response = visitor.get(reverse(view, args=[clip.pk]))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))

    @pytest.mark.parametrize(
        ("view", "field", "message"),
        [
            (
                "clip_original",
                "original",
                "This clip has no uploaded file (demo clips are rendered), or the file is missing.",
            ),
            (
                "clip_normalised",
                "normalised",
                "This clip has no normalised file yet (it is made when the clip is normalised).",
            ),
            ("clip_thumbnail", "thumbnail", "This clip has no thumbnail yet."),
        ],
    )
    def test_a_missing_file_is_a_404_that_says_so(self, staff_client, clip, view, field, message):
        assert staff_client.get(reverse(view, args=[clip.pk + 1])).status_code == 404
        media_path(getattr(clip, field).name).unlink()
        response = staff_client.get(reverse(view, args=[clip.pk]))
        assert response.status_code == 404
        assert response.content.decode() == message
        MoveClip.objects.filter(pk=clip.pk).update(**{field: ""})
        assert staff_client.get(reverse(view, args=[clip.pk])).content.decode() == message


class TestImportClips:
    def _folder(self, tmp_path: Path, videos: dict[str, Path]) -> Path:
        folder = tmp_path / "incoming"
        folder.mkdir()
        one_phrase = videos["one-phrase"].read_bytes()
        (folder / "basic-in-place.mp4").write_bytes(one_phrase)
        (folder / "basic-in-place--mirror-take.mov").write_bytes(one_phrase)
        (folder / "no-such-move.mp4").write_bytes(one_phrase)
        (folder / "README.txt").write_text("not a clip")
        return folder

    @runs_jobs
    def test_it_imports_known_slugs_and_skips_unknown_ones(self, move, jobs, videos, tmp_path):
        folder = self._folder(tmp_path, videos)
        out, err = StringIO(), StringIO()
        with jobs():
            call_command("import_clips", str(folder), stdout=out, stderr=err)

        assert "import_clips: 2 imported, 1 skipped (unknown slug), 0 refused, from 3 clip file(s)" in out.getvalue()
        assert "no-such-move.mp4: no move with slug 'no-such-move'; skipped" in err.getvalue()
        clips = list(MoveClip.objects.order_by("pk"))
        assert [clip.move for clip in clips] == [move, move]
        assert [Path(clip.original.name).suffix for clip in clips] == [".mov", ".mp4"]
        for clip in clips:
            assert clip.status == MoveClip.Status.READY, clip.error
            assert (clip.recorded_bpm, clip.count1_s, clip.counts) == (120.0, 0.0, 8)
            _assert_canonical(media_path(clip.normalised.name), counts=8)

    def test_bpm_and_count1_are_passed_on(self, move, videos, tmp_path):
        folder = tmp_path / "incoming"
        folder.mkdir()
        # 10 s: one 8-count at 96 BPM (5 s) fits after count 1 at 0.25 s.
        (folder / "basic-in-place.mp4").write_bytes(videos["ten"].read_bytes())
        # Without running the job: only the stored upload is checked here.
        call_command("import_clips", str(folder), "--bpm", "96", "--count1", "0.25", stdout=StringIO())
        clip = MoveClip.objects.get()
        assert (clip.recorded_bpm, clip.count1_s, clip.status) == (96.0, 0.25, MoveClip.Status.QUEUED)

    def test_an_out_of_range_tempo_refuses_each_clip(self, move, videos, tmp_path):
        folder = tmp_path / "incoming"
        folder.mkdir()
        (folder / "basic-in-place.mp4").write_bytes(videos["one-phrase"].read_bytes())
        out, err = StringIO(), StringIO()
        call_command("import_clips", str(folder), "--bpm", "300", stdout=out, stderr=err)
        assert "0 imported, 0 skipped (unknown slug), 1 refused" in out.getvalue()
        assert "between 60 and 200 BPM" in err.getvalue()
        assert not MoveClip.objects.exists()
        assert _files_under("clips") == []

    def test_files_that_are_no_usable_video_are_refused_each_with_its_reason(self, move, bad_files, tmp_path):
        folder = tmp_path / "incoming"
        folder.mkdir()
        for kind in ("text", "audio", "short"):
            (folder / f"basic-in-place--{kind}.mp4").write_bytes(bad_files[kind])
        out, err = StringIO(), StringIO()
        call_command("import_clips", str(folder), "--count1", "0.5", stdout=out, stderr=err)
        assert "0 imported, 0 skipped (unknown slug), 3 refused, from 3 clip file(s)" in out.getvalue()
        lines = err.getvalue().splitlines()
        not_video = "The file is not a video we can read (unknown format, or damaged)."
        assert f"basic-in-place--text.mp4: refused: {not_video}" in lines
        assert "basic-in-place--audio.mp4: refused: The file is an audio file: it has no video track." in lines
        assert (
            "basic-in-place--short.mp4: refused: The clip is too short for one 8-count phrase at 120 BPM "
            "after count 1 at 0.5 s (it lasts 3.00 s)." in lines
        )
        assert not MoveClip.objects.exists()
        assert _files_under("clips") == []

    def test_a_missing_folder_is_an_error(self, tmp_path):
        with pytest.raises(CommandError, match="not a directory"):
            call_command("import_clips", str(tmp_path / "nowhere"))
