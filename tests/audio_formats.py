"""Songs in every format a dancer brings, made at test time with this PyAV build's own encoders.

One synthetic bachata (known beats and downbeats, see choreography/demo_songs.py) is encoded
into MP3 (CBR, VBR, mono, 22.05/32/48 kHz, ID3v2 tags with cover art), AAC and ALAC in .m4a/.mp4,
Opus and Vorbis in .ogg/.opus/.webm, FLAC, WAV (16-bit, 24-bit 48 kHz) and AIFF. Cover art is
what a demuxer sees as a one-picture video stream with the attached_pic disposition.

Bad files for the refusals are made here too: text named .mp3, a video with no sound, a song cut
short, garbled data.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from choreography.demo_songs import DemoSong, SynthResult, synthesize

# Long enough for several 8-counts (one takes 3.8 s at 126 BPM), short enough to analyse in a blink.
TEST_SONG = DemoSong(
    "format-test", "Format Test Song", 126.0, 32.0, 7, 55.0, ((0, "min"), (5, "min"), (7, "7"), (0, "min"))
)
SOURCE_RATE = 48000
COVER_SIZE = 96


@dataclass(frozen=True)
class AudioFormat:
    key: str
    filename: str  # what the dancer's file is called
    container: str  # FFmpeg muxer
    codec: str  # FFmpeg encoder
    content_type: str
    sample_rate: int = 44100
    layout: str = "stereo"
    sample_format: str | None = None  # None: the encoder's first
    bit_rate: int | None = None
    vbr_quality: int | None = None  # LAME's -V: variable bit rate
    cover_art: str | None = None  # picture encoder ("mjpeg", "png") of an attached cover
    tags: dict[str, str] = field(default_factory=dict)
    experimental: bool = False  # FFmpeg's own encoder is marked experimental (needs strict -2)
    container_options: dict[str, str] = field(default_factory=dict)


TAGS = {"title": "Format Test Song", "artist": "Bachata Buddy", "album": "Tests", "date": "2024"}

FORMATS: tuple[AudioFormat, ...] = (
    AudioFormat("mp3-cbr", "holiday.mp3", "mp3", "libmp3lame", "audio/mpeg", bit_rate=128_000),
    AudioFormat("mp3-vbr", "vbr.mp3", "mp3", "libmp3lame", "audio/mpeg", vbr_quality=4),
    AudioFormat("mp3-mono-22k", "mono.mp3", "mp3", "libmp3lame", "audio/mpeg", 22050, "mono", bit_rate=64_000),
    AudioFormat("mp3-32k", "radio.mp3", "mp3", "libmp3lame", "audio/mpeg", 32000, bit_rate=96_000),
    AudioFormat("mp3-48k", "studio.mp3", "mp3", "libmp3lame", "audio/mpeg", 48000, bit_rate=192_000),
    AudioFormat(
        "mp3-id3-cover",
        "tagged.mp3",
        "mp3",
        "libmp3lame",
        "audio/mpeg",
        bit_rate=128_000,
        cover_art="mjpeg",
        tags=TAGS,
        container_options={"id3v2_version": "3"},
    ),
    AudioFormat("aac-m4a", "itunes.m4a", "mp4", "aac", "audio/mp4", bit_rate=128_000, cover_art="mjpeg", tags=TAGS),
    AudioFormat("aac-mp4", "download.mp4", "mp4", "aac", "audio/mp4", 48000, bit_rate=160_000),
    AudioFormat("aac-adts", "ripped.aac", "adts", "aac", "audio/aac", bit_rate=128_000),
    AudioFormat("alac-m4a", "lossless.m4a", "ipod", "alac", "audio/mp4"),
    AudioFormat("opus-ogg", "voice.ogg", "ogg", "libopus", "audio/ogg", 48000, bit_rate=96_000),
    AudioFormat("opus-opus", "stream.opus", "opus", "libopus", "audio/opus", 48000, bit_rate=96_000),
    AudioFormat("opus-webm", "youtube.webm", "webm", "libopus", "audio/webm", 48000, bit_rate=128_000),
    AudioFormat("vorbis-ogg", "vorbis.ogg", "ogg", "vorbis", "audio/ogg", experimental=True),
    AudioFormat("vorbis-webm", "vorbis.webm", "webm", "vorbis", "audio/webm", experimental=True),
    AudioFormat("flac", "master.flac", "flac", "flac", "audio/flac", cover_art="png", tags=TAGS),
    AudioFormat("wav-16", "cd.wav", "wav", "pcm_s16le", "audio/wav"),
    AudioFormat("wav-24-48k", "hires.wav", "wav", "pcm_s24le", "audio/wav", 48000),
    AudioFormat("aiff", "apple.aiff", "aiff", "pcm_s16be", "audio/aiff"),
    AudioFormat("aif", "apple.aif", "aiff", "pcm_s16be", "audio/aiff", 48000, "mono"),
)
BY_KEY = {audio_format.key: audio_format for audio_format in FORMATS}


def missing_encoder(audio_format: AudioFormat) -> str | None:
    """Why this PyAV build cannot write the format, or None when it can."""
    import av

    for codec in (audio_format.codec, audio_format.cover_art):
        if not codec:
            continue
        try:
            av.codec.Codec(codec, "w")
        except Exception:
            return f"this PyAV build has no {codec} encoder"
    if audio_format.container not in av.formats_available:
        return f"this PyAV build has no {audio_format.container} muxer"
    return None


@functools.cache
def reference_song(sample_rate: int = SOURCE_RATE) -> SynthResult:
    """The song every format carries: its samples and its true beats."""
    return synthesize(TEST_SONG, sr=sample_rate)


def write_song(
    audio_format: AudioFormat, folder: str | os.PathLike[str], *, seconds: float | None = None, name: str | None = None
) -> Path:
    """Encode the test song (or its first `seconds`) in `audio_format` under `folder`; return the path."""
    import av
    import numpy as np

    song = reference_song()
    samples = song.samples if seconds is None else song.samples[: int(seconds * song.sr)]
    path = Path(folder) / (name or audio_format.filename)
    with av.open(str(path), "w", format=audio_format.container, options=audio_format.container_options) as output:
        output.metadata.update(audio_format.tags)
        stream = output.add_stream(audio_format.codec, rate=audio_format.sample_rate, layout=audio_format.layout)
        context = stream.codec_context
        if audio_format.sample_format:
            context.format = audio_format.sample_format
        if audio_format.bit_rate:
            stream.bit_rate = audio_format.bit_rate
        if audio_format.vbr_quality is not None:
            context.qscale = True
            context.global_quality = audio_format.vbr_quality * 118  # FF_QP2LAMBDA, as ffmpeg's -q:a does
        if audio_format.experimental:
            stream.options = {"strict": "experimental"}
        cover = _add_cover_stream(output, audio_format.cover_art) if audio_format.cover_art else None
        context.open()
        if cover is not None:
            # The MP3 muxer holds audio back until the picture arrives: send it first.
            _mux_cover(output, cover)
        resampler = av.AudioResampler(
            format=context.format.name,
            layout=audio_format.layout,
            rate=audio_format.sample_rate,
            frame_size=context.frame_size or 4096,
        )
        source = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
        source.sample_rate = song.sr
        source.pts, source.time_base = 0, Fraction(1, song.sr)
        written = 0
        for frame in [*resampler.resample(source), *resampler.resample(None)]:
            frame.pts, frame.time_base = written, Fraction(1, audio_format.sample_rate)
            written += frame.samples
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def _add_cover_stream(output, encoder: str):
    import av

    cover = output.add_stream(encoder)
    cover.width = cover.height = COVER_SIZE
    cover.pix_fmt = "yuvj420p" if encoder == "mjpeg" else "rgb24"
    cover.codec_context.time_base = Fraction(1, 1)
    cover.disposition = av.stream.Disposition.attached_pic
    return cover


def _mux_cover(output, cover) -> None:
    import av
    import numpy as np

    picture = np.zeros((COVER_SIZE, COVER_SIZE, 3), dtype=np.uint8)
    picture[:, :, 0] = np.linspace(40, 220, COVER_SIZE, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format=cover.pix_fmt)
    frame.pts, frame.time_base = 0, Fraction(1, 1)
    for packet in [*cover.encode(frame), *cover.encode(None)]:
        output.mux(packet)


# ---------------------------------------------------------------- bad files for the refusals


def write_text_named_like_audio(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.write_text("Dear diary, today I learned the basic step.\n" * 200, encoding="utf-8")
    return path


def write_video_without_sound(path: str | os.PathLike[str]) -> Path:
    from choreography.media.synthetic import write_synthetic_clip

    return Path(write_synthetic_clip(path, frames=60, canonical=False, width=320, height=240))


def write_cut_short(audio_format: AudioFormat, folder: str | os.PathLike[str], *, keep: float = 0.3) -> Path:
    """A download that stopped part-way: the file's first `keep` of its bytes, header intact."""
    path = write_song(audio_format, folder)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_garbled(audio_format: AudioFormat, folder: str | os.PathLike[str], *, keep_head: int = 4096) -> Path:
    """A file whose audio data were overwritten with noise past the first `keep_head` bytes."""
    import numpy as np

    path = write_song(audio_format, folder)
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(12).integers(0, 256, len(data) - keep_head, dtype=np.uint8)
    data[keep_head:] = noise.tobytes()
    path.write_bytes(bytes(data))
    return path


# ---------------------------------------------------------------- is it the song, in time?

ENVELOPE_RATE = 1000  # one loudness value per millisecond
MAX_LAG_S = 0.25


def decoded_mono(path: str | os.PathLike[str], *, rate: int = 22050, seconds: float | None = None):
    """The first audio stream of a file (any container; cover art ignored), decoded to mono float32 at `rate`."""
    import av
    import numpy as np

    chunks, total = [], 0
    limit = None if seconds is None else int(seconds * rate)
    with av.open(os.fspath(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                total += out.samples
            if limit is not None and total >= limit:
                break
        else:
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples if limit is None else samples[:limit]


def _envelope(samples, rate: int):
    import numpy as np

    hop = rate // ENVELOPE_RATE
    usable = len(samples) // hop * hop
    loudness = np.abs(samples[:usable]).reshape(-1, hop).mean(axis=1)
    # Rises in loudness (onsets) are what line up; steady levels do not tell time.
    return np.maximum(np.diff(loudness, prepend=loudness[:1]), 0)


def offset_from_reference_s(path: str | os.PathLike[str], *, seconds: float = 12.0) -> float:
    """How late (positive) or early the test song plays in this file, from its first `seconds`.

    Cross-correlates onset envelopes of the decoded file and of the reference song, so a codec's
    priming samples or a muxer's lost edit list show up as a lag, to the millisecond.
    """
    import numpy as np

    rate = 22050
    played = _envelope(decoded_mono(path, rate=rate, seconds=seconds), rate)
    reference = _envelope(reference_song(rate).samples[: int(seconds * rate)], rate)
    size = min(len(played), len(reference))
    played, reference = played[:size], reference[:size]
    max_lag = int(MAX_LAG_S * ENVELOPE_RATE)
    scores = [
        float(np.dot(played[max(lag, 0) : size + min(lag, 0)], reference[max(-lag, 0) : size - max(lag, 0)]))
        for lag in range(-max_lag, max_lag + 1)
    ]
    return (int(np.argmax(scores)) - max_lag) / ENVELOPE_RATE
