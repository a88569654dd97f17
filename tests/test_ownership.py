"""Who may reach what: one table, every per-user page and API endpoint, four personas.

owner      the dancer whose routine and song these are
stranger   another dancer: 404, as if the row did not exist
staff      a staff member who is not the owner: 404 too (their way in is the admin, not the site)
anonymous  pages redirect to the login page; the API answers 401

A new per-user URL belongs in this table: `test_every_per_user_url_is_in_the_table` fails until it is.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from choreography.services.files import media_path
from tests.factories import PASSWORD, make_clip, make_routine, make_song

pytestmark = pytest.mark.django_db

LOGIN = "login"  # anonymous on a page: 302 to the login page
PERSONAS = ("owner", "stranger", "staff", "anonymous")

# (url name, method, args, body, {persona: expected status}); args name rows of the `world` fixture.
NOT_YOURS = {"owner": None, "stranger": 404, "staff": 404, "anonymous": LOGIN}


def _row(name: str, method: str, args: tuple, owner: int, body: dict | None = None, **others) -> tuple:
    expected = {**NOT_YOURS, "owner": owner, **others}
    if name.startswith("api:"):
        expected["anonymous"] = 401
    return (name, method, args, body, expected)


TABLE = [
    # Pages: the owner's routine.
    _row("routine_detail", "get", ("routine",), 200),
    _row("routine_status", "get", ("routine",), 200),
    _row("routine_retry", "post", ("routine",), 302),
    _row("routine_rename", "post", ("routine",), 302, {"title": "Renamed"}),
    _row("routine_delete", "post", ("routine",), 302),
    _row("routine_share", "post", ("routine",), 302, {"shared": "1"}),
    _row("routine_video", "get", ("routine",), 200),
    _row("routine_video_mirrored", "get", ("routine",), 200),
    _row("routine_chapters", "get", ("routine",), 200),
    _row("routine_move_swap", "post", ("routine", 1), 302, {"slug": "box-step"}),
    _row("routine_move_lock", "post", ("routine", 0), 302, {"locked": "1"}),
    _row("routine_regenerate", "post", ("routine",), 302),
    _row("practice_log", "post", ("routine",), 200, {"seconds": 30}),
    # Pages: the owner's song.
    _row("song_detail", "get", ("song",), 200),
    _row("song_status", "get", ("song",), 200),
    _row("song_audio", "get", ("song",), 200),
    # The song has routines: without a confirmation the answer is the page that lists them.
    _row("song_delete", "post", ("song",), 200),
    _row("song_delete", "post", ("song",), 302, {"with_routines": "1"}),
    # A demo song is everyone's (once logged in).
    _row("song_detail", "get", ("demo_song",), 200, stranger=200, staff=200),
    _row("song_status", "get", ("demo_song",), 200, stranger=200, staff=200),
    _row("song_audio", "get", ("demo_song",), 200, stranger=200, staff=200),
    # Shared links: open to anyone while sharing is on, closed to everyone (the owner too) when off.
    _row("shared_routine", "get", ("shared_token",), 200, stranger=200, staff=200, anonymous=200),
    _row("shared_routine_video", "get", ("shared_token",), 200, stranger=200, staff=200, anonymous=200),
    _row("shared_routine", "get", ("unshared_token",), 404, anonymous=404),
    _row("shared_routine_video", "get", ("unshared_token",), 404, anonymous=404),
    _row("shared_routine_video_mirrored", "get", ("shared_token",), 200, stranger=200, staff=200, anonymous=200),
    _row("shared_routine_video_mirrored", "get", ("unshared_token",), 404, anonymous=404),
    # Pages of one's own things: every dancer has their own (empty for the others).
    _row("describe", "get", (), 200, stranger=200, staff=200),
    _row("routine_list", "get", (), 200, stranger=200, staff=200),
    _row("song_list", "get", (), 200, stranger=200, staff=200),
    _row("progress", "get", (), 200, stranger=200, staff=200),
    _row("history", "get", (), 200, stranger=200, staff=200),
    _row("profile", "get", (), 200, stranger=200, staff=200),
    _row("email_change", "post", (), 302, {"email": "new@example.com"}, stranger=302, staff=302),
    _row("logout_everywhere", "post", (), 302, stranger=302, staff=302),
    _row("move_learned", "post", ("move_slug",), 302, {"learned": "1"}, stranger=302, staff=302),
    _row("api_token_renew", "post", (), 302, stranger=302, staff=302),
    # Each deletes their own account (confirmed with their password); the staff member here is the last one.
    _row("account_delete", "post", (), 302, {"confirmation": PASSWORD}, stranger=302, staff=400),
    _row("data_export", "post", (), 302, stranger=302, staff=302),
    _row("data_export_download", "get", ("export",), 200),
    # API: the owner's rows.
    _row("api:routine_detail", "get", ("routine",), 200),
    _row("api:routine_detail", "patch", ("routine",), 200, {"title": "Renamed"}),
    _row("api:routine_detail", "delete", ("routine",), 204),
    _row("api:routine_move_lock", "post", ("routine", 0), 200, {"locked": True}),
    _row("api:routine_video", "get", ("routine",), 200),
    _row("api:routine_video_mirrored", "get", ("routine",), 200),
    _row("api:routine_move_swap", "post", ("routine", 1), 202, {"slug": "box-step"}),
    _row("api:routine_regenerate", "post", ("routine",), 202),
    _row("api:routine_practice", "post", ("routine",), 200, {"seconds": 30}),
    _row("api:routine_loop_list", "get", ("routine",), 200),
    _row("api:routine_loop_list", "post", ("routine",), 201, {"name": "Turn", "first_move": 1}),
    _row("api:routine_loop_detail", "patch", ("routine", "loop"), 200, {"name": "Side turn"}),
    _row("api:routine_loop_detail", "delete", ("routine", "loop"), 204),
    _row("api:song_detail", "get", ("song",), 200),
    # The song has routines: 409 listing them (?with_routines=1 deletes them with it).
    _row("api:song_detail", "delete", ("song",), 409),
    _row("api:song_detail", "get", ("demo_song",), 200, stranger=200, staff=200),
    # API: a routine on the owner's song; for anyone else the song looks missing (400 naming song_id).
    _row("api:routine_list", "post", (), 202, {"text": "turns", "song_id": "song"}, stranger=400, staff=400),
    # API: lists and the profile are the caller's own.
    _row("api:routine_list", "get", (), 200, stranger=200, staff=200),
    _row("api:song_list", "get", (), 200, stranger=200, staff=200),
    _row("api:practice_list", "get", (), 200, stranger=200, staff=200),
    _row("api:profile", "get", (), 200, stranger=200, staff=200),
    _row("api:profile", "patch", (), 200, {"preferred_style": "sensual"}, stranger=200, staff=200),
    # A new email is only asked for: 202, the confirmation link goes to the caller's new address.
    _row("api:profile", "patch", (), 202, {"email": "new@example.com"}, stranger=202, staff=202),
    _row("api:profile", "delete", (), 204, {"confirm": PASSWORD}, stranger=204, staff=409),
    _row("api:profile_export", "post", (), 202, stranger=202, staff=202),
    _row("api:profile_export_detail", "get", ("export",), 200),
    _row("api:profile_export_download", "get", ("export",), 200),
    _row("api:move_list", "get", (), 200, stranger=200, staff=200),
    _row("api:move_search", "get", (), 200, {"q": "basic"}, stranger=200, staff=200),
]

# Reachable without an account on purpose, or not per-user: nothing to own.
PUBLIC_OR_STAFF = {
    "home",
    # The home page's preview of the public demo routine: anyone's (tests/test_home_demo.py).
    "demo_preview",
    "demo_preview_poster",
    # Practice on the public demo routine: any logged-in dancer's, into their own history; a visitor gets the
    # login page (tests/test_practice.py TestDemoPractice).
    "demo_practice_log",
    "signup",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    # Password reset and the email-change link: the signed token in the URL is the key, not a session.
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "email_change_confirm",
    # staff_member_required: covered by the admin's own tests (tests/test_clip_ingest.py)
    "clip_preview",
    "clip_thumbnail",
    "clip_original",
    "clip_normalised",
    "api:schema",
    "api:docs",
    "health_live",
    "health_ready",
}


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    # Routine creation is throttled per user: counters must not carry over from another test or run.
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ownership"},
    }
    caches["throttle"].clear()


@pytest.fixture
def world(owner, jobs) -> dict:
    """The owner's ready routine (two moves, both videos, a saved loop), their song, a demo song, two share
    tokens, a built export of their data."""
    from accounts.export import data_export_request
    from choreography.services.loops import loop_create

    routine = make_routine(owner, mirrored=True)
    loop = loop_create(routine=routine, name="Intro", start_s=0, end_s=2)
    make_clip("box-step")
    shared = make_routine(owner, song=routine.song, title="Shared", mirrored=True)
    shared.shared = True
    shared.save(update_fields=["shared"])
    demo_song = make_song(None, title="Demo")
    # Both songs analysed, with the AAC copy the song page plays.
    for song in (routine.song, demo_song):
        song.audio_aac = f"songs/aac/{song.pk}.m4a"
        song.save(update_fields=["audio_aac"])
        media_path(song.audio_aac.name).parent.mkdir(parents=True, exist_ok=True)
        media_path(song.audio_aac.name).write_bytes(b"\x00" * 64)
    with jobs():
        export = data_export_request(user=owner)
    return {
        "routine": routine.pk,
        "export": export.pk,
        "loop": loop.pk,
        "song": routine.song.pk,
        "demo_song": demo_song.pk,
        "shared_token": shared.share_token,
        "unshared_token": routine.share_token,
        "move_slug": "basic-step",
    }


def _client(request, persona: str, *, api: bool) -> APIClient:
    client = APIClient()
    if persona == "anonymous":
        return client
    user = request.getfixturevalue(persona)
    if api:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    else:
        client.force_login(user)
    return client


def _cases() -> list:
    return [
        pytest.param(name, method, args, body, persona, expected[persona], id=f"{name}{list(args)}-{persona}")
        for name, method, args, body, expected in TABLE
        for persona in PERSONAS
    ]


@pytest.mark.parametrize(("name", "method", "args", "body", "persona", "expected"), _cases())
def test_access(request, world, name, method, args, body, persona, expected):
    url = reverse(name, args=[world.get(arg, arg) for arg in args])
    api = name.startswith("api:")
    client = _client(request, persona, api=api)
    body = {key: world.get(value, value) for key, value in (body or {}).items()}
    if method == "get":
        response = client.get(url, body)
    elif api or name == "practice_log":
        response = getattr(client, method)(url, body, format="json")
    else:
        response = getattr(client, method)(url, body)

    if expected == LOGIN:
        assert response.status_code == 302, response.content[:300]
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected, response.content[:300]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_a_stranger_changes_nothing(request, world, stranger):
    # 404 must also mean "untouched": try every write in the table as the stranger.
    from choreography.models import Routine, RoutineMove, SavedLoop, Song

    before = list(Routine.objects.values_list("pk", "title", "status", "shared", "seed").order_by("pk"))
    moves_before = list(RoutineMove.objects.values_list("pk", "move_id", "locked").order_by("pk"))
    songs_before = list(Song.objects.values_list("pk", "title").order_by("pk"))
    loops_before = list(SavedLoop.objects.values_list("pk", "name").order_by("pk"))
    for name, method, args, body, expected in TABLE:
        if method == "get" or expected["stranger"] != 404:
            continue
        client = _client(request, "stranger", api=name.startswith("api:"))
        url = reverse(name, args=[world.get(arg, arg) for arg in args])
        getattr(client, method)(url, body or {}, format="json")
    assert list(Routine.objects.values_list("pk", "title", "status", "shared", "seed").order_by("pk")) == before
    assert list(RoutineMove.objects.values_list("pk", "move_id", "locked").order_by("pk")) == moves_before
    assert list(Song.objects.values_list("pk", "title").order_by("pk")) == songs_before
    assert list(SavedLoop.objects.values_list("pk", "name").order_by("pk")) == loops_before


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.app_name in ("admin", "django_rq"):
                continue
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_per_user_url_is_in_the_table():
    covered = {row[0] for row in TABLE}
    missing = _url_names(get_resolver()) - covered - PUBLIC_OR_STAFF
    assert not missing, f"add these URLs to the ownership table (or to PUBLIC_OR_STAFF): {sorted(missing)}"
