"""Show, then ask: the home page's silent preview of the demo routine, the demo routine a visitor opens
without an account (read-only), and the preview cut by stream copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from choreography.errors import ChoreographyError, MediaError
from choreography.media.preview import cut_preview, keyframe_times, preview_window
from choreography.models import PracticeSession, Routine
from choreography.services.demo import (
    DEMO_ACCOUNT,
    DEMO_ROUTINE,
    DEMO_SHARE_TOKEN,
    demo_account,
    demo_preview_ensure,
    demo_preview_names,
    demo_routine_ensure,
    demo_routine_is_current,
)
from choreography.services.files import media_path
from tests.demo_support import CLICK_DEMO, make_demo_routine

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, test_video):
    return make_demo_routine(media_root=settings.MEDIA_ROOT, video_source=test_video)


@pytest.fixture
def demo_with_preview(demo):
    demo_preview_ensure(routine=demo)
    return demo


class TestHomePreview:
    def test_a_visitor_sees_the_preview_above_the_sign_up(self, client, demo_with_preview):
        html = client.get(reverse("home")).content.decode()
        video = html[html.index("<video") : html.index("</video>")]
        for attribute in ("autoplay", "muted", "loop", "playsinline", 'poster="/demo/preview.jpg?v='):
            assert attribute in video
        assert 'src="/demo/preview.mp4?v=' in video
        assert "A few seconds of the demo routine, without sound" in html
        assert 'href="/shared/demo/"' in html and "Open the demo routine" in html
        assert html.index("<video") < html.index(reverse("signup") + '"', html.index("<main"))

    def test_without_a_demo_routine_the_page_has_no_video_and_still_asks(self, client, db):
        response = client.get(reverse("home"))
        html = response.content.decode()
        assert response.status_code == 200
        assert "<video" not in html and "demo-preview" not in html and "/shared/" not in html
        assert "Start dancing" in html

    def test_a_demo_routine_without_its_preview_yet_is_linked_without_a_video(self, client, demo):
        html = client.get(reverse("home")).content.decode()
        assert "<video" not in html
        assert 'href="/shared/demo/"' in html

    def test_the_preview_and_its_poster_are_served_to_anyone(self, client, demo_with_preview):
        response = client.get(reverse("demo_preview"), HTTP_RANGE="bytes=0-99")
        assert response.status_code == 206 and response["Content-Type"] == "video/mp4"
        poster = client.get(reverse("demo_preview_poster"))
        assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
        assert b"".join(poster.streaming_content if poster.streaming else [poster.content])[:2] == b"\xff\xd8"

    def test_no_preview_is_a_plain_not_found(self, client, db):
        response = client.get(reverse("demo_preview"))
        assert response.status_code == 404
        assert "seed_demo" in response.content.decode()

    def test_a_signed_in_dancer_sees_it_too(self, owner_client, demo_with_preview):
        html = owner_client.get(reverse("home")).content.decode()
        assert "<video" in html and "Describe a routine" in html


class TestPreviewCut:
    def test_it_is_silent_short_and_copied_not_encoded(self, demo_with_preview, test_video):
        import av

        video_name, poster_name = demo_preview_names(demo_with_preview.video.name)
        path = media_path(video_name)
        with av.open(str(path)) as preview:
            assert [stream.type for stream in preview.streams] == ["video"]
            stream = preview.streams.video[0]
            packets = [bytes(p) for p in preview.demux(stream) if p.size]
        keyframes, end_s = keyframe_times(path)
        assert keyframes[0] == 0.0
        assert 8.0 <= end_s <= 12.0
        # The same bytes as the routine video's packets over that span: copied, never re-encoded.
        with av.open(str(test_video)) as source:
            original = [bytes(p) for p in source.demux(source.streams.video[0]) if p.size][: len(packets)]
        assert packets == original
        assert media_path(poster_name).read_bytes()[:2] == b"\xff\xd8"

    def test_it_is_made_once(self, demo):
        assert demo_preview_ensure(routine=demo) is True
        assert demo_preview_ensure(routine=demo) is False

    def test_it_starts_on_a_keyframe_and_ends_on_a_one(self):
        keyframes = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        assert preview_window(
            keyframes=keyframes, phrase_starts=[1.0, 4.4, 10.9, 14.3], video_end_s=30, from_s=0.98
        ) == (
            1.0,
            10.9,
        )

    def test_without_a_one_in_reach_it_runs_the_target_length(self):
        assert preview_window(keyframes=[2.0], phrase_starts=[2.0, 30.0], video_end_s=60, from_s=2.0) == (2.0, 12.0)

    def test_a_video_too_short_is_refused_in_words(self):
        with pytest.raises(MediaError, match="a preview needs 8 s"):
            preview_window(keyframes=[0.0], phrase_starts=[], video_end_s=5.0)
        with pytest.raises(MediaError, match="no keyframe"):
            preview_window(keyframes=[0.0, 1.0], phrase_starts=[], video_end_s=30.0, from_s=4.0)

    def test_a_start_off_a_keyframe_is_refused(self, test_video, tmp_path):
        with pytest.raises(MediaError, match="No keyframe at 0.500 s"):
            cut_preview(test_video, tmp_path / "p.mp4", start_s=0.5, end_s=9.0)
        assert not (tmp_path / "p.mp4").exists()


class TestDemoRoutineEnsure:
    def test_a_current_demo_routine_is_kept_and_a_second_run_makes_nothing(self, demo):
        first = demo_routine_ensure(spec=CLICK_DEMO)
        assert (first.built, first.preview_made) == (False, True)
        rows = list(Routine.objects.values_list("pk", "video", "finished_at"))
        second = demo_routine_ensure(spec=CLICK_DEMO)
        assert (second.built, second.preview_made) == (False, False)
        assert list(Routine.objects.values_list("pk", "video", "finished_at")) == rows

    def test_a_clip_rendered_again_since_makes_it_out_of_date(self, demo):
        assert demo_routine_is_current(demo, demo.song, CLICK_DEMO)
        clip = demo.moves.first().clip
        clip.save()  # updated now, after the routine was built
        assert not demo_routine_is_current(demo, demo.song, CLICK_DEMO)

    def test_another_request_makes_it_out_of_date(self, demo):
        changed = type(CLICK_DEMO)(**{**CLICK_DEMO.__dict__, "text": "sensual with dips"})
        assert not demo_routine_is_current(demo, demo.song, changed)

    def test_without_the_demo_song_it_says_what_to_seed(self, db):
        with pytest.raises(ChoreographyError, match="seed the demo songs first"):
            demo_routine_ensure()


class TestDemoAccount:
    def test_nobody_can_sign_in_as_it(self, client, demo):
        account = demo.owner
        assert account.username == DEMO_ACCOUNT
        assert not account.has_usable_password() and not account.is_active
        assert not client.login(username=DEMO_ACCOUNT, password="")

    def test_a_dancers_own_account_of_that_name_is_never_taken_over(self, make_user):
        make_user(DEMO_ACCOUNT)
        with pytest.raises(ChoreographyError, match="someone's own"):
            demo_account()


class TestDemoRoutinePage:
    def test_a_visitor_opens_it_in_the_player_read_only(self, client, demo):
        response = client.get(reverse("shared_routine", args=[DEMO_SHARE_TOKEN]))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="video"' in html and "js/player/main.js" in html
        assert "This is the demo routine" in html and "kept on this device" in html
        assert reverse("signup") in html
        for owner_only in ("/swap/", "/lock/", "/rename/", "/delete/", "/share/", "/regenerate/", 'id="save-loop"'):
            assert owner_only not in html
        data = json.loads(html.split('id="player-data" type="application/json">')[1].split("</script>")[0])
        assert (data["loopsUrl"], data["statusUrl"], data["ownerView"]) == ("", "", False)
        # A visitor's practice is only kept on the device (sent after sign-up, tests/test_home_demo_browser.py).
        assert data["practiceUrl"] == reverse("demo_practice_log") and data["practiceQueueOnly"] is True

    def test_its_video_plays_for_anyone(self, client, demo):
        response = client.get(reverse("shared_routine_video", args=[DEMO_SHARE_TOKEN]), HTTP_RANGE="bytes=0-9")
        assert response.status_code == 206

    @pytest.mark.parametrize(
        ("name", "extra", "data"),
        [
            ("routine_move_swap", (0,), {"slug": "side-basic"}),
            ("routine_move_lock", (0,), {"locked": "1"}),
            ("routine_rename", (), {"title": "Mine now"}),
            ("routine_share", (), {"shared": "0"}),
            ("routine_delete", (), {}),
            ("routine_regenerate", (), {}),
        ],
    )
    def test_a_visitor_cannot_change_it(self, client, demo, name, extra, data):
        before = _state(demo)
        response = client.post(reverse(name, args=[demo.pk, *extra]), data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert _state(demo) == before

    def test_a_visitors_practice_is_not_stored(self, client, demo):
        payload = {"client_id": "visitor-1", "started_at": "2026-01-01T10:00:00Z", "seconds_practised": 30}
        response = client.post(reverse("practice_log", args=[demo.pk]), payload, content_type="application/json")
        assert response.status_code == 302
        assert not PracticeSession.objects.exists()

    def test_a_visitor_cannot_save_a_loop_through_the_api(self, client, demo):
        url = reverse("api:routine_loop_list", args=[demo.pk])
        response = client.post(url, {"name": "mine", "start": 0, "end": 4}, content_type="application/json")
        assert response.status_code in (401, 403)
        assert not demo.saved_loops.exists()

    def test_a_signed_in_dancer_cannot_change_it_either(self, stranger_client, demo):
        before = _state(demo)
        assert stranger_client.post(reverse("routine_rename", args=[demo.pk]), {"title": "x"}).status_code == 404
        response = stranger_client.post(
            reverse("practice_log", args=[demo.pk]), {"seconds_practised": 30}, content_type="application/json"
        )
        assert response.status_code == 404
        assert _state(demo) == before and not PracticeSession.objects.exists()
        html = stranger_client.get(reverse("shared_routine", args=[DEMO_SHARE_TOKEN])).content.decode()
        assert "Describe a routine of your own" in html


def _state(routine: Routine) -> tuple:
    routine.refresh_from_db()
    moves = list(routine.moves.values_list("order", "move__slug", "locked"))
    return routine.title, routine.shared, routine.status, routine.video.name, moves


@pytest.mark.slow
class TestDemoRoutineBuiltForReal:
    def test_seed_builds_it_once_and_a_second_run_makes_nothing(self, settings, small_catalog):
        import av

        from choreography.models import Job

        first = demo_routine_ensure()
        routine = first.routine
        assert (first.built, first.preview_made) == (True, True)
        assert routine.status == Routine.Status.READY and routine.shared and routine.share_token == DEMO_SHARE_TOKEN
        assert routine.owner.username == DEMO_ACCOUNT and routine.song == small_catalog
        assert routine.moves.count() >= 2
        video_name, poster_name = demo_preview_names(routine.video.name)
        keyframes, end_s = keyframe_times(media_path(video_name))
        assert keyframes[0] == 0.0 and 8.0 <= end_s <= 12.0
        with av.open(str(media_path(video_name))) as preview:
            assert [stream.type for stream in preview.streams] == ["video"]

        files = sorted(path.relative_to(settings.MEDIA_ROOT) for path in Path(settings.MEDIA_ROOT).rglob("*"))
        rows = (Routine.objects.count(), Job.objects.count(), list(routine.moves.values_list("pk", flat=True)))
        second = demo_routine_ensure()
        assert (second.built, second.preview_made) == (False, False)
        assert second.routine.pk == routine.pk and second.routine.video.name == routine.video.name
        assert (Routine.objects.count(), Job.objects.count(), list(routine.moves.values_list("pk", flat=True))) == rows
        assert sorted(path.relative_to(settings.MEDIA_ROOT) for path in Path(settings.MEDIA_ROOT).rglob("*")) == files

    def test_a_changed_request_builds_it_again_and_drops_the_old_preview(self, small_catalog):
        first = demo_routine_ensure().routine
        old_preview = demo_preview_names(first.video.name)
        changed = type(DEMO_ROUTINE)(**{**DEMO_ROUTINE.__dict__, "seed": DEMO_ROUTINE.seed + 1})
        again = demo_routine_ensure(spec=changed)
        assert again.built and again.routine.pk == first.pk
        assert again.routine.video.name != first.video.name
        assert not any(media_path(name).exists() for name in old_preview)
        assert all(media_path(name).exists() for name in demo_preview_names(again.routine.video.name))
