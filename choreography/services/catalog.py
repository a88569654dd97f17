"""The move catalog: seeding from the data file, demo clips, staff clip uploads and their normalisation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from bachata.runner import enqueue, requeue
from choreography import jobs
from choreography.errors import ChoreographyError, MediaError
from choreography.models import Job, Move, MoveClip
from choreography.services.files import (
    cached_media_on_disk,
    media_exists,
    media_on_disk,
    media_output,
    media_storage,
    remove_media,
    save_media,
    scratch_dir,
    storage_is_local,
    uploaded_file_on_disk,
)

if TYPE_CHECKING:
    from collections.abc import Collection

    from choreography.media.probe import VideoInfo

logger = logging.getLogger(__name__)

CLIP_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".m4v", ".avi")
# The tempo a clip may be danced to; outside it is a typing slip or a beat tracker's half/double.
CLIP_MIN_BPM = 60
CLIP_MAX_BPM = 200
DEMO_CLIP_FOLDER = "clips/demo"
GET_READY_FOLDER = "clips/assets"
# The count-in clip in closed hold; the other holds' clips sit beside it (get_ready_clip_name).
GET_READY_CLIP = f"{GET_READY_FOLDER}/get-ready.mp4"
MOVE_FIELDS = (
    "name",
    "description",
    "level",
    "counts",
    "start_position",
    "end_position",
    "elements",
    "styles",
    "tags",
    "energy",
    "opener",
    "finisher",
    "arm_paths",
)


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_staff_edits: int = 0


def catalog_seed(*, path: Path | None = None, force: bool = False) -> SeedReport:
    """Load or update the catalog data file idempotently. Invalid data changes nothing.

    Slugs are stable; a move staff edited in the admin is left alone unless `force`.
    """
    from choreography.catalog import data

    specs = data.load_catalog(path) if path else data.load_catalog()
    report = SeedReport()
    with transaction.atomic():
        existing = {move.slug: move for move in Move.objects.select_for_update()}
        for spec in specs:
            values = spec.to_dict()
            values.setdefault("arm_paths", [])
            wanted = {field: values[field] for field in MOVE_FIELDS}
            move = existing.get(spec.slug)
            if move is None:
                Move.objects.create(slug=spec.slug, **wanted)
                report.created += 1
                continue
            if move.edited_by_staff and not force:
                report.kept_staff_edits += 1
                continue
            changed = [field for field, value in wanted.items() if getattr(move, field) != value]
            if not changed and not (force and move.edited_by_staff):
                report.unchanged += 1
                continue
            for field, value in wanted.items():
                setattr(move, field, value)
            move.edited_by_staff = False
            move.save()
            report.updated += 1
    return report


def demo_clips_ensure(*, workers: int = 2, levels: Collection[str] | None = None) -> int:
    """Render the instructional clip of every move that lacks one, with its mirrored twin (a second run
    renders nothing), and record it as a ready demo clip with its thumbnail and motion features. Returns
    the moves whose clip (either twin) was rendered. `levels` limits it to the moves of those levels
    (None: every move), so the moves a first routine needs can come before the rest (seed_demo --clips).

    The "Get ready" count-in clips, one per hold and twin, are rendered here too where missing.
    """
    from choreography import clipformat
    from choreography.catalog.render import JOINTS_SUFFIX, render_catalog
    from choreography.media.features import motion_features

    # Rendered on this machine (in place with a local storage, else in its scratch folder), then stored.
    out_dir = _local_render_dir(DEMO_CLIP_FOLDER)
    rows = Move.objects.all() if levels is None else Move.objects.filter(level__in=levels)
    moves = {move.slug: move for move in rows}
    before = {p.name for p in out_dir.glob("*.mp4")} if out_dir.exists() else set()
    paths = render_catalog([move.to_spec() for move in moves.values()], out_dir, workers=workers)
    twins = {slug: (Path(path), Path(clipformat.mirrored_twin_name(str(path)))) for slug, path in paths.items()}
    rendered = 0
    for pair in twins.values():
        fresh = [path.name not in before for path in pair]
        rendered += any(fresh)
        for path, made in zip(pair, fresh, strict=True):
            name = f"{DEMO_CLIP_FOLDER}/{path.name}"
            if made or not media_exists(name):
                save_media(name, path)
        # The 3D renderer's joint tracks travel with their clips (a bucket's readers find them beside).
        joints = pair[0].with_name(pair[0].name.removesuffix(".mp4") + JOINTS_SUFFIX)
        if joints.exists() and (any(fresh) or not media_exists(f"{DEMO_CLIP_FOLDER}/{joints.name}")):
            save_media(f"{DEMO_CLIP_FOLDER}/{joints.name}", joints)
    get_ready_clips_ensure()
    ready = {clip.move_id: clip for clip in MoveClip.objects.filter(is_demo=True)}
    for slug, (path, mirrored_path) in twins.items():
        move = moves[slug]
        relative = f"{DEMO_CLIP_FOLDER}/{path.name}"
        relative_mirrored = f"{DEMO_CLIP_FOLDER}/{mirrored_path.name}"
        thumbnail = demo_thumbnail_ensure(slug=slug, clip_path=path)
        clip = ready.get(move.pk)
        if (
            clip
            and clip.normalised.name == relative
            and clip.normalised_mirrored.name == relative_mirrored
            and clip.thumbnail.name == thumbnail
            and clip.motion_features
            and clip.counts == move.counts
        ):
            continue
        features = motion_features(path, bpm=clipformat.RECORDED_BPM, counts=move.counts)
        MoveClip.objects.update_or_create(
            move=move,
            is_demo=True,
            defaults={
                "normalised": relative,
                "normalised_mirrored": relative_mirrored,
                "thumbnail": thumbnail,
                "recorded_bpm": clipformat.RECORDED_BPM,
                "count1_s": 0.0,
                "counts": move.counts,
                "frames": clipformat.frames_for_counts(move.counts),
                "motion_features": [float(x) for x in features],
                # Rendered right here, not by a job: the demo clip's row is recorded finished.
                "status": MoveClip.Status.READY,
                "error": "",
            },
        )
    return rendered


def demo_thumbnail_ensure(*, slug: str, clip_path: Path) -> str:
    """The demo clip's thumbnail (a frame from mid-clip), made where missing or older than the clip.
    Returns its name under MEDIA_ROOT."""
    from choreography.media.normalise import make_thumbnail

    name = f"{DEMO_CLIP_FOLDER}/thumbnails/{slug}.jpg"
    # A bucket keeps whole seconds: a thumbnail stored within the second after its clip was rendered is new.
    made_after = clip_path.stat().st_mtime - (0 if storage_is_local() else 1)
    if media_exists(name) and media_storage().get_modified_time(name).timestamp() >= made_after:
        return name
    local = scratch_dir("tmp") / f"thumbnail-{slug}.jpg"
    try:
        make_thumbnail(clip_path, local)
        save_media(name, local)
    finally:
        local.unlink(missing_ok=True)
    return name


def _local_render_dir(folder: str) -> Path:
    """Where this machine renders the clips of `folder`: in place with a local storage; in a bucket's
    case, the scratch folder, which keeps them so that a second seed renders nothing."""
    if storage_is_local():
        path = Path(media_storage().path(folder))
        path.mkdir(parents=True, exist_ok=True)
        return path
    return scratch_dir(folder)


def get_ready_clip_name(position: str, *, mirrored: bool = False) -> str:
    """Where the "Get ready" count-in clip showing the couple in `position` lives, under MEDIA_ROOT.

    The closed hold keeps the name the only count-in clip had before there was one per hold; the
    mirrored twin sits beside it (clipformat.mirrored_twin_name).
    """
    from choreography import clipformat

    name = GET_READY_CLIP if position == "closed" else f"{GET_READY_FOLDER}/get-ready-{position}.mp4"
    return clipformat.mirrored_twin_name(name) if mirrored else name


def get_ready_clips_ensure(*, force: bool = False, renderer: str | None = None) -> int:
    """Render the count-in clips of every hold (both twins) that are missing or were drawn by another
    renderer or version (all with `force`), and store them. Returns clips rendered.

    A manifest beside the clips rendered on this machine records each hold's fingerprint
    (render.get_ready_fingerprint), so a second run renders nothing and a new renderer re-renders them.
    `renderer`: settings.CLIP_RENDERER by default.
    """
    from choreography import vocab
    from choreography.catalog.render import get_ready_fingerprint, read_manifest, render_get_ready_clips, write_manifest

    local_dir = _local_render_dir(GET_READY_FOLDER)
    manifest_path = local_dir / "manifest.json"
    manifest = read_manifest(manifest_path)
    todo = []
    for position in vocab.POSITIONS:
        names = [get_ready_clip_name(position, mirrored=mirrored) for mirrored in (False, True)]
        current = manifest.get(position) == get_ready_fingerprint(position, renderer=renderer)
        if force or not current or not all(media_exists(name) for name in names):
            todo.append((position, *(local_dir / Path(name).name for name in names)))
    render_get_ready_clips(todo, renderer=renderer)
    for position, *paths in todo:
        for path in paths:
            save_media(f"{GET_READY_FOLDER}/{path.name}", path)
        manifest[position] = get_ready_fingerprint(position, renderer=renderer)
    if todo:
        write_manifest(manifest_path, manifest)
    return 2 * len(todo)


def get_ready_clip_for(position: str | None, *, mirrored: bool = False) -> Path | None:
    """The count-in clip to play before a routine whose first move starts in `position`, on this machine.

    Falls back to the closed-hold clip where that hold's clip was never rendered, and to none at all
    (the first clip then starts the video) where no count-in clip exists.
    """
    for held in (position or "closed", "closed"):
        name = get_ready_clip_name(held, mirrored=mirrored)
        if media_exists(name):
            return cached_media_on_disk(name)
    return None


def check_clip_upload(upload: UploadedFile | File) -> None:
    """The upload's name and size: a clip type we take, within the size limit."""
    name = (upload.name or "").lower()
    if not name.endswith(CLIP_EXTENSIONS):
        raise MediaError(f"Unsupported clip type. Upload one of: {', '.join(e.lstrip('.') for e in CLIP_EXTENSIONS)}.")
    if upload.size > settings.CLIP_MAX_BYTES:
        raise MediaError(
            f"The clip is {upload.size / 1e6:.0f} MB; the limit is {settings.CLIP_MAX_BYTES // (1024 * 1024)} MB."
        )


def clip_upload_probe(upload: UploadedFile | File) -> VideoInfo:
    """The upload's type, size and content, checked before anything is stored: refuses a file that is
    not a video, holds no video track (an audio file), is damaged, too long or too large."""
    from choreography.media.probe import probe_video

    check_clip_upload(upload)
    with uploaded_file_on_disk(upload) as path:
        return probe_video(path, max_bytes=settings.CLIP_MAX_BYTES, max_duration_s=settings.CLIP_MAX_DURATION_S)


def clip_length_check(*, duration_s: float, bpm: float | None, count1_s: float | None) -> None:
    """Refuse a clip too short to hold one 8-count phrase after count 1.

    With the tempo given, at that tempo. Without it the tempo is found in the clip's music later;
    until then the floor is one 8-count at the fastest tempo a clip may have (CLIP_MAX_BPM: 2.4 s),
    since a shorter clip holds no whole phrase at any tempo we accept.
    """
    from choreography.media.normalise import phrases_in

    count1 = count1_s or 0.0
    tempo = bpm or CLIP_MAX_BPM
    if phrases_in(duration_s, bpm=tempo, count1_s=count1) >= 1:
        return
    if bpm:
        need = f"at {bpm:g} BPM after count 1 at {count1:g} s"
    else:
        need = f"even at {CLIP_MAX_BPM} BPM, the fastest tempo a clip may have"
    raise MediaError(f"The clip is too short for one 8-count phrase {need} (it lasts {duration_s:.2f} s).")


@transaction.atomic
def clip_upload(*, move: Move, upload: UploadedFile, bpm: float | None, count1_s: float | None) -> MoveClip:
    """Keep a staff upload and queue its normalisation. The clip is unused until that succeeds.

    A tempo or count-1 time left empty is found in the clip's own music when it is normalised.
    """
    if bpm is not None and not CLIP_MIN_BPM <= bpm <= CLIP_MAX_BPM:
        raise MediaError(f"The clip's tempo must be between {CLIP_MIN_BPM} and {CLIP_MAX_BPM} BPM.")
    if count1_s is not None and count1_s < 0:
        raise MediaError("The time of count 1 cannot be negative.")
    # Probed before anything is stored: a file that is no usable clip leaves no row and no file.
    info = clip_upload_probe(upload)
    clip_length_check(duration_s=info.duration_s, bpm=bpm, count1_s=count1_s)
    clip = MoveClip(move=move, recorded_bpm=bpm, count1_s=count1_s)
    clip.original.save(upload.name, upload, save=False)
    clip.save()
    clip_queue_normalise(clip=clip)
    return clip


def clip_queue_normalise(*, clip: MoveClip) -> Job:
    """Queue a new clip's normalisation; returns the Job row, which runs once the transaction commits."""
    return enqueue(jobs.clip_normalise, subject=clip, queue="default", clip_id=clip.pk)


def clip_normalise_again(*, clip: MoveClip) -> Job | None:
    """Queue a ready or failed clip's normalisation again (staff changed its file or timing, or asked).
    None where it is queued or being normalised already: that job reads the clip as it is when it runs."""
    return requeue(
        jobs.clip_normalise,
        subject=clip,
        from_statuses=(MoveClip.Status.READY, MoveClip.Status.FAILED),
        queue="default",
        clip_id=clip.pk,
    )


def clip_timing(clip: MoveClip) -> tuple[float, float, str]:
    """The clip's tempo and count-1 time: as staff gave them, or found in the clip's own music."""
    if clip.recorded_bpm is not None and clip.count1_s is not None:
        return clip.recorded_bpm, clip.count1_s, "staff"
    from choreography import music

    try:
        with media_on_disk(clip.original.name) as original:
            analysis = music.analyze_file(original, max_duration_s=settings.CLIP_MAX_DURATION_S)
    except ChoreographyError as exc:
        raise MediaError(
            f"No tempo or count 1 was given, and none could be found in the clip's music ({exc}). "
            "Give the tempo and the time of count 1."
        ) from exc
    if analysis.confidence == "low":
        raise MediaError(
            f"The clip's music has no clear beat (about {analysis.tempo_bpm:.0f} BPM at best). "
            "Give the tempo and the time of count 1."
        )
    bpm = clip.recorded_bpm if clip.recorded_bpm is not None else analysis.tempo_bpm
    count1_s = clip.count1_s if clip.count1_s is not None else analysis.first_downbeat_s
    return round(bpm, 2), round(count1_s, 3), "music"


def clip_normalise(*, clip_id: int) -> MoveClip | None:
    """Probe, normalise to the canonical format, thumbnail and motion features: the normalisation job's
    work. Raises MediaError where the clip cannot be used; bachata.runner marks it ready or failed."""
    from choreography.media.features import motion_features
    from choreography.media.normalise import make_thumbnail, normalise_clip

    clip = MoveClip.objects.filter(pk=clip_id).first()
    if clip is None:
        return None
    bpm, count1_s, source = clip_timing(clip)
    video_name = mirrored_name = thumb_name = ""
    try:
        with (
            media_on_disk(clip.original.name) as original,
            media_output("clips/normalised", ".mp4") as video,
            media_output("clips/normalised", ".mp4") as mirrored,
        ):
            # The mirrored twin in the same pass: real footage flipped left to right, for the mirrored routine.
            result = normalise_clip(
                original,
                video.path,
                mirrored_dst=mirrored.path,
                bpm=bpm,
                count1_s=count1_s,
                max_duration_s=settings.CLIP_MAX_DURATION_S,
                max_bytes=settings.CLIP_MAX_BYTES,
            )
            with media_output("clips/thumbnails", ".jpg") as thumbnail:
                make_thumbnail(video.path, thumbnail.path)
            thumb_name = thumbnail.name
            features = motion_features(video.path, bpm=bpm, counts=result.counts)
        # Both stored (the block above ended): named only now, so a failure above leaves neither name behind.
        video_name, mirrored_name = video.name, mirrored.name
    except Exception:
        remove_media(thumb_name)
        raise
    MoveClip.objects.filter(pk=clip_id).update(
        recorded_bpm=bpm,
        count1_s=count1_s,
        timing_source=source,
        normalised=video_name,
        normalised_mirrored=mirrored_name,
        thumbnail=thumb_name,
        counts=result.counts,
        frames=result.frames,
        motion_features=[float(x) for x in features],
    )
    return MoveClip.objects.filter(pk=clip_id).first()
