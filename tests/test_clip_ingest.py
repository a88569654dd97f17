"""Staff clip ingest: admin upload -> normalisation job -> canonical clip, previews, refusals; import_clips."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from choreography import clipformat
from choreography.models import Move, MoveClip
from choreography.services.files import media_path
from tests.media_factory import make_foreign_clip, probe_streams

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


@pytest.fixture
def move(db) -> Move:
    return Move.objects.create(
        slug="basic-in-place",
        name="Basic in Place",
        description="Weight changes on the spot.",
        level="beginner",
        counts=8,
        start_position="closed",
        end_position="closed",
    )


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

    @runs_jobs
    def test_a_text_file_named_mp4_fails_with_its_reason_shown(self, staff_client, move, jobs):
        with jobs():
            response = _admin_upload(staff_client, move, "fake.mp4", NOT_A_VIDEO)
        assert response.status_code == 302
        clip = MoveClip.objects.get()
        assert clip.status == MoveClip.Status.FAILED
        assert clip.error == "The file is not a video we can read (unknown format, or damaged)."
        assert not clip.normalised and not clip.thumbnail
        assert _files_under("clips/normalised") == [] and _files_under("clips/thumbnails") == []
        assert media_path(clip.original.name).exists()

        page = staff_client.get(reverse("admin:choreography_moveclip_change", args=[clip.pk])).content.decode()
        assert "The file is not a video we can read" in page
        assert "<video" not in page
        listing = staff_client.get(reverse("admin:choreography_moveclip_changelist") + "?status__exact=failed")
        assert listing.status_code == 200
        assert list(listing.context["cl"].queryset) == [clip]

    @runs_jobs
    def test_a_clip_too_short_for_one_phrase_fails_with_the_message(self, staff_client, move, jobs, videos):
        with jobs():
            _admin_upload(staff_client, move, "short.mp4", videos["short"].read_bytes())
        clip = MoveClip.objects.get()
        assert clip.status == MoveClip.Status.FAILED
        assert "too short for one 8-count phrase" in clip.error
        assert not clip.normalised
        page = staff_client.get(reverse("admin:choreography_moveclip_change", args=[clip.pk])).content.decode()
        assert "too short for one 8-count phrase" in page

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
        (folder / "basic-in-place.mp4").write_bytes(videos["one-phrase"].read_bytes())
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

    def test_a_missing_folder_is_an_error(self, tmp_path):
        with pytest.raises(CommandError, match="not a directory"):
            call_command("import_clips", str(tmp_path / "nowhere"))
