"""The expensive assets of a real generation, made once per machine, and the helper that installs them per test.

Rendering the catalog's instructional clips (one per move) costs a minute or two and analysing a song a few
seconds, so they are made once into `var/test-cache/` (git-ignored) and reused by every later
session: the clips through render_catalog's manifest, the motion features, the song's analysis and
its AAC file through small JSON files keyed by what they were made from. Each test then links those
files into its own MEDIA_ROOT (a hard link where the file system allows it, else a copy) and creates
the rows directly: the catalog, one ready demo clip per move, and the ready demo song. The fixtures
`generation_assets` and `demo_song` (tests/conftest.py) do both.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

CACHE_DIR = Path(settings.BASE_DIR) / "var" / "test-cache"
DEMO_SONG_SLUG = "fuego-lento"
# Fixed clip ids keep the catalog snapshot's version, and so its FAISS index, the same in every test.
CLIP_ID_BASE = 900_000


@dataclass(frozen=True)
class GenerationAssets:
    clips_dir: Path  # both twins of every clip (render_catalog)
    get_ready: Path
    get_ready_mirrored: Path
    features: dict[str, list[float]]  # move slug -> motion features of its clip
    song_wav: Path
    song_aac: Path
    song_analysis: dict


@contextmanager
def _cache_lock() -> Iterator[None]:
    # Two test sessions on one machine must not render into the cache at the same time.
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, path)


def _clip_features(specs, clips_dir: Path) -> dict[str, list[float]]:
    from choreography import clipformat
    from choreography.catalog.render import clip_path, move_fingerprint
    from choreography.media.features import motion_features

    path = CACHE_DIR / "features.json"
    cached = _read_json(path)
    features = {}
    for spec in specs:
        key = move_fingerprint(spec)
        entry = cached.get(spec.slug)
        if not entry or entry.get("fingerprint") != key:
            values = motion_features(clip_path(clips_dir, spec), bpm=clipformat.RECORDED_BPM, counts=spec.counts)
            entry = cached[spec.slug] = {"fingerprint": key, "features": [float(x) for x in values]}
        features[spec.slug] = entry["features"]
    _write_json(path, cached)
    return features


def _demo_song_files() -> tuple[Path, Path, dict]:
    from choreography import music
    from choreography.demo_songs import demo_song, write_demo_song
    from choreography.media.audio import encode_song_audio

    demo = demo_song(DEMO_SONG_SLUG)
    key = hashlib.sha256(json.dumps(asdict(demo), sort_keys=True).encode()).hexdigest()[:12]
    folder = CACHE_DIR / "songs"
    folder.mkdir(parents=True, exist_ok=True)
    wav, aac, analysis_path = (folder / f"{demo.slug}-{key}{suffix}" for suffix in (".wav", ".m4a", ".json"))
    analysis = _read_json(analysis_path)
    if not (analysis and wav.exists() and aac.exists()):
        write_demo_song(demo, wav)
        analysis = music.analyze_file(wav).to_dict()
        encode_song_audio(wav, aac)
        _write_json(analysis_path, analysis)
    return wav, aac, analysis


def build_generation_assets() -> GenerationAssets:
    """Render, measure and analyse what is missing from the cache (a second session makes nothing)."""
    from choreography.catalog import data
    from choreography.catalog.render import get_ready_fingerprint, render_catalog, render_get_ready_twins

    specs = data.load_catalog()
    clips_dir = CACHE_DIR / "clips"
    # Named by what they show, so a new renderer or version renders them again.
    get_ready = CACHE_DIR / f"get-ready-{get_ready_fingerprint('closed')}.mp4"
    get_ready_mirrored = get_ready.with_suffix(".mirrored.mp4")
    with _cache_lock():
        render_catalog(specs, clips_dir, workers=2)
        if not (get_ready.exists() and get_ready_mirrored.exists()):
            render_get_ready_twins(get_ready, get_ready_mirrored)
        features = _clip_features(specs, clips_dir)
        wav, aac, analysis = _demo_song_files()
    return GenerationAssets(clips_dir, get_ready, get_ready_mirrored, features, wav, aac, analysis)


def link_into(source: Path, target: Path) -> None:
    """Put `source` at `target` without copying its bytes where the file system allows it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def store(source: Path, name: str) -> None:
    """Put `source` in the media storage as `name`: linked into a local MEDIA_ROOT, uploaded to a bucket."""
    from choreography.services.files import media_path, save_media, storage_is_local

    if storage_is_local():
        link_into(source, media_path(name))
    else:
        save_media(name, source)


def install_generation_assets(assets: GenerationAssets, *, slugs: tuple[str, ...] | None = None):
    """In the current database and media storage: the seeded catalog with a ready demo clip per move (or per
    move of `slugs` only, for assets rendered for those), and the ready demo song. Returns the Song row."""
    from choreography import clipformat
    from choreography.models import Move, MoveClip, Song
    from choreography.services.catalog import DEMO_CLIP_FOLDER, GET_READY_CLIP, catalog_seed
    from choreography.services.songs import DEMO_SONG_FOLDER

    catalog_seed()
    clips = []
    moves = Move.objects.order_by("slug")
    for number, move in enumerate(moves if slugs is None else moves.filter(slug__in=slugs)):
        relative = f"{DEMO_CLIP_FOLDER}/{move.slug}.mp4"
        relative_mirrored = clipformat.mirrored_twin_name(relative)
        store(assets.clips_dir / f"{move.slug}.mp4", relative)
        store(assets.clips_dir / f"{move.slug}.mirrored.mp4", relative_mirrored)
        clips.append(
            MoveClip(
                pk=CLIP_ID_BASE + number,
                move=move,
                normalised=relative,
                normalised_mirrored=relative_mirrored,
                recorded_bpm=clipformat.RECORDED_BPM,
                count1_s=0.0,
                counts=move.counts,
                frames=clipformat.frames_for_counts(move.counts),
                motion_features=assets.features[move.slug],
                is_demo=True,
                status=MoveClip.Status.READY,
            )
        )
    MoveClip.objects.bulk_create(clips)
    store(assets.get_ready, GET_READY_CLIP)
    store(assets.get_ready_mirrored, clipformat.mirrored_twin_name(GET_READY_CLIP))

    upload = f"{DEMO_SONG_FOLDER}/{DEMO_SONG_SLUG}.wav"
    aac = f"songs/aac/{DEMO_SONG_SLUG}.m4a"
    store(assets.song_wav, upload)
    store(assets.song_aac, aac)
    analysis = assets.song_analysis
    return Song.objects.create(
        owner=None,
        demo_slug=DEMO_SONG_SLUG,
        title="Fuego Lento",
        upload=upload,
        audio_aac=aac,
        analysis=analysis,
        tempo_bpm=analysis["tempo_bpm"],
        duration_s=analysis["duration_s"],
        confidence=analysis.get("confidence", ""),
        size_bytes=assets.song_wav.stat().st_size,
        status=Song.Status.READY,
    )
