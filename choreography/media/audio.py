"""Song audio in the one format routines carry: AAC-LC, 44.1 kHz stereo, in an .m4a (MP4) file.

Encoded once when a song is uploaded, so that assembling a routine only copies its packets.
"""

from __future__ import annotations

import os
from fractions import Fraction

from choreography.atomic import atomic_output
from choreography.errors import MediaError

SAMPLE_RATE = 44100
LAYOUT = "stereo"
AAC_FRAME_SAMPLES = 1024


def encode_song_audio(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    *,
    bitrate: int = 128000,
    name: str | None = None,
) -> float:
    """Decode any audio file and write it as AAC-LC 44.1 kHz stereo .m4a; return its duration in seconds.

    The file appears under dst_path only when complete (temp file in the same folder, then os.replace).
    `name` is what messages call the song (its title, say); by default the source's file name.
    """
    import av

    src_path, dst_path = os.fspath(src_path), os.fspath(dst_path)
    name = name or f"“{os.path.basename(src_path)}”"
    if not os.path.isfile(src_path):
        raise MediaError(f"The file of {name} is missing.")
    try:
        source = av.open(src_path)
    except av.FFmpegError as exc:
        raise MediaError(f"{name} is not an audio file that can be read ({exc.strerror or exc}).") from exc
    with source, atomic_output(dst_path, suffix=".m4a.part", what=f"the AAC audio of {name}") as tmp:
        if not source.streams.audio:
            raise MediaError(f"{name} has no audio track.")
        samples = _transcode_to_aac(source, str(tmp), bitrate, name)
        if samples == 0:
            raise MediaError(f"{name} contains no audio that could be decoded.")
    return samples / SAMPLE_RATE


def _transcode_to_aac(source, temp_path: str, bitrate: int, name: str) -> int:
    import av
    from av.audio.resampler import AudioResampler

    in_stream = source.streams.audio[0]
    # AAC wants planar float in frames of exactly 1024 samples; the resampler cuts them for us.
    resampler = AudioResampler(format="fltp", layout=LAYOUT, rate=SAMPLE_RATE, frame_size=AAC_FRAME_SAMPLES)
    samples = 0
    with av.open(temp_path, "w", format="mp4", options={"movflags": "+faststart"}) as output:
        out_stream = output.add_stream("aac", rate=SAMPLE_RATE, layout=LAYOUT)
        out_stream.bit_rate = bitrate

        def encode(frames) -> None:
            nonlocal samples
            for frame in frames:
                # Our own running sample count: sources with broken or missing timestamps still come out
                # gapless. The time base goes with it: the frame keeps the decoder's (1/14112000 for MP3).
                frame.pts = samples
                frame.time_base = Fraction(1, SAMPLE_RATE)
                samples += frame.samples
                output.mux(out_stream.encode(frame))

        try:
            for frame in source.decode(in_stream):
                encode(resampler.resample(frame))
        except av.FFmpegError as exc:
            raise MediaError(f"{name} is damaged and could not be decoded ({exc.strerror or exc}).") from exc
        encode(resampler.resample(None))
        output.mux(out_stream.encode(None))
    return samples
