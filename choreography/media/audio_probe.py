"""Probe an uploaded song at the door: is it audio we can decode, and how long does it last?

`probe_audio` answers with an `AudioInfo` or raises `AudioError` with a message for the dancer,
naming their own file. It is cheap even for a long song: it decodes the first seconds, reads
the rest packet by packet without decoding (to find where the sound really ends), and decodes
the last packets. A file cut short, garbled from the start, with no sound track, or not audio
at all is refused before anything is stored.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from choreography.errors import AudioError

# Seconds of sound decoded from the start to prove that the file decodes.
HEAD_S = 2.0
# Packets demuxed at most while decoding that start (a few hundred is 5-10 s in any codec).
HEAD_MAX_PACKETS = 400
# Packets decoded at the end: enough for decoders that need a packet or two of history first.
TAIL_PACKETS = 12
# Decode errors tolerated at the start (a stray bad frame after a tag is normal for MP3).
MAX_HEAD_ERRORS = 3
# A file whose sound stops this much before the length its header declares was cut short.
CUT_SHORT_MIN_S = 2.0
CUT_SHORT_FRACTION = 0.1
# A declared length within this fraction of file size / bit rate was guessed from them.
ESTIMATE_MATCH_FRACTION = 0.02
FORMATS_WE_TAKE = "MP3, M4A (AAC or Apple Lossless), Ogg, Opus, WebM, FLAC, WAV or AIFF"
NAME_MAX_CHARS = 60


@dataclass(frozen=True)
class AudioInfo:
    path: Path
    container_format: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    bit_rate: int | None  # the stream's nominal rate, where the header says
    has_cover_art: bool


def display_name(name: str) -> str:
    """The dancer's own file name, quoted, shortened when long (messages never show storage names)."""
    name = os.path.basename(name or "") or "the file"
    if len(name) > NAME_MAX_CHARS:
        stem, dot, suffix = name.rpartition(".")
        name = f"{(stem if dot else name)[: NAME_MAX_CHARS - 8]}…{dot}{suffix if dot else ''}"
    return f"“{name}”"


def minutes(seconds: float) -> str:
    """9.8 s, 45 s, 2 min 05 s: lengths as a dancer says them."""
    if seconds < 9.95:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else f"{seconds // 60} min"


def probe_audio(
    path: str | os.PathLike[str],
    *,
    name: str,
    min_duration_s: float | None = None,
    max_duration_s: float | None = None,
) -> AudioInfo:
    """Describe the song at `path`, or raise AudioError saying why it cannot be a song.

    `name` is the file's name as the dancer knows it; every message uses it.
    """
    import av

    path = Path(path)
    quoted = display_name(name)
    if not path.is_file() or path.stat().st_size == 0:
        raise AudioError(f"{quoted} is empty.")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioError(
            f"{quoted} is not an audio file we can read, or it is damaged. Songs can be {FORMATS_WE_TAKE} files."
        ) from exc
    with container:
        stream = _sound_stream(container, quoted)
        try:
            _decode_head(container, stream, quoted)
            sound_end_s = _scan_to_the_end(path, stream.index, quoted)
        except av.FFmpegError as exc:
            raise _damaged(quoted) from exc
        declared_s = _declared_duration_s(container, stream)
        cover_art = any(s.disposition & av.stream.Disposition.attached_pic for s in container.streams.video)
        info = AudioInfo(
            path=path,
            container_format=container.format.name,
            codec=stream.codec_context.name,
            sample_rate=stream.codec_context.sample_rate,
            channels=stream.codec_context.channels,
            # Packets end with the codec's padding; a header without a length guesses one (see _cut_short).
            duration_s=sound_end_s if declared_s is None else min(declared_s, sound_end_s),
            bit_rate=stream.codec_context.bit_rate or None,
            has_cover_art=cover_art,
        )
    if _cut_short(path, info, declared_s, sound_end_s):
        raise AudioError(
            f"{quoted} is cut short: it should last {minutes(declared_s)}, but its sound stops after "
            f"{minutes(sound_end_s)}. Try downloading or exporting it again."
        )
    if min_duration_s is not None and info.duration_s < min_duration_s:
        raise AudioError(
            f"{quoted} lasts only {minutes(info.duration_s)}. A song needs at least {minutes(min_duration_s)}, so "
            f"that a few 8-counts fit (one 8-count of a slow bachata takes about 5 s)."
        )
    if max_duration_s is not None and info.duration_s > max_duration_s + 1.0:
        raise AudioError(f"{quoted} lasts {minutes(info.duration_s)}; songs can be at most {minutes(max_duration_s)}.")
    return info


def _sound_stream(container: Any, quoted: str) -> Any:
    import av

    # The one a decoder of the song takes too (music.decode.decode_audio, encode_song_audio): the first.
    if container.streams.audio:
        return container.streams.audio[0]
    # Cover art is a one-picture "video" stream: a file with only that has no sound either.
    moving = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if moving:
        raise AudioError(f"{quoted} is a video with no sound: there is no music in it to dance to.")
    raise AudioError(f"{quoted} has no audio track: there is no music in it to dance to.")


def _decode_head(container: Any, stream: Any, quoted: str) -> None:
    """Decode the first HEAD_S seconds (or what there is); refuse a file whose start will not decode."""
    import av

    decoded_s, errors = 0.0, 0
    for count, packet in enumerate(container.demux(stream)):
        if count >= HEAD_MAX_PACKETS or decoded_s >= HEAD_S:
            break
        try:
            decoded_s += sum(frame.samples / frame.sample_rate for frame in stream.decode(packet))
        except av.FFmpegError:
            errors += 1
            if errors > MAX_HEAD_ERRORS:
                break
    if decoded_s < HEAD_S:
        try:
            decoded_s += sum(frame.samples / frame.sample_rate for frame in stream.decode(None))
        except av.FFmpegError:
            errors += 1
    if errors > MAX_HEAD_ERRORS or decoded_s == 0:
        raise _damaged(quoted)


def _scan_to_the_end(path: Path, stream_index: int, quoted: str) -> float:
    """Where the sound really ends, from packet timestamps (nothing decoded on the way); then the
    last packets are decoded, since garbage at the end is a file damaged on the way too.

    A second open, so that the head's decoder state and read position do not matter.
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams[stream_index]
        time_base = stream.time_base
        first = end = None
        last = collections.deque(maxlen=TAIL_PACKETS)
        for packet in container.demux(stream):
            if not packet.size:
                continue
            last.append(packet)
            if packet.pts is None or time_base is None:
                continue
            first = packet.pts if first is None else min(first, packet.pts)
            packet_end = packet.pts + (packet.duration or 0)
            end = packet_end if end is None else max(end, packet_end)
        decoded, errors = 0, 0
        for packet in [*last, None]:
            try:
                decoded += len(stream.decode(packet))
            except av.FFmpegError:
                errors += 1
        if last and (decoded == 0 or errors > len(last) // 2):
            raise AudioError(f"{quoted} is damaged near its end: its sound could not be decoded there.")
        if end is None:
            return 0.0
        start = first if stream.start_time is None else min(stream.start_time, first)
        return float((end - start) * time_base)


def _cut_short(path: Path, info: AudioInfo, declared_s: float | None, sound_end_s: float) -> bool:
    """True when the sound stops well before the length the header declares.

    Where the header has no length (raw AAC, an MP3 without a VBR tag) FFmpeg guesses one from the
    file size and the bit rate: such a guess says nothing about the file being whole, and a quiet
    intro makes it too long, so it is not held against the file.
    """
    if declared_s is None or sound_end_s >= declared_s - max(CUT_SHORT_MIN_S, CUT_SHORT_FRACTION * declared_s):
        return False
    if info.bit_rate:
        guessed_s = path.stat().st_size * 8 / info.bit_rate
        if abs(guessed_s - declared_s) <= ESTIMATE_MATCH_FRACTION * declared_s:
            return False
    return True


def _damaged(quoted: str) -> AudioError:
    return AudioError(f"{quoted} is damaged: its sound could not be decoded. Try exporting or downloading it again.")


def _declared_duration_s(container: Any, stream: Any) -> float | None:
    import av

    if container.duration:
        return container.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None
