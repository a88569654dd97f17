"""Song audio in the one format routines carry: AAC-LC, 44.1 kHz stereo, in an .m4a (MP4) file.

Encoded once when a song is uploaded, so that assembling a routine only copies its packets.
"""

from __future__ import annotations

import os

from choreography.errors import MediaError
from choreography.media.atomic import atomic_output

SAMPLE_RATE = 44100
LAYOUT = "stereo"
AAC_FRAME_SAMPLES = 1024


def encode_song_audio(
    src_path: str | os.PathLike[str], dst_path: str | os.PathLike[str], *, bitrate: int = 128000
) -> float:
    """Decode any audio file and write it as AAC-LC 44.1 kHz stereo .m4a; return its duration in seconds.

    The file appears under dst_path only when complete (temp file in the same folder, then os.replace).
    """
    import av

    src_path, dst_path = os.fspath(src_path), os.fspath(dst_path)
    if not os.path.isfile(src_path):
        raise MediaError(f"Song file not found: {src_path}")
    try:
        source = av.open(src_path)
    except av.FFmpegError as exc:
        raise MediaError(f"Not an audio file ({os.path.basename(src_path)}): {exc}") from exc
    with (
        source,
        atomic_output(dst_path, suffix=".m4a.part", what=f"the AAC audio of {os.path.basename(src_path)}") as tmp,
    ):
        if not source.streams.audio:
            raise MediaError(f"Not an audio file ({os.path.basename(src_path)}): it has no audio stream")
        samples = _transcode_to_aac(source, str(tmp), bitrate)
        if samples == 0:
            raise MediaError(f"Song file has no decodable audio: {os.path.basename(src_path)}")
    return samples / SAMPLE_RATE


def _transcode_to_aac(source, temp_path: str, bitrate: int) -> int:
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
                # Our own running sample count: sources with broken or missing timestamps still come out gapless.
                frame.pts = samples
                samples += frame.samples
                output.mux(out_stream.encode(frame))

        for frame in source.decode(in_stream):
            encode(resampler.resample(frame))
        encode(resampler.resample(None))
        output.mux(out_stream.encode(None))
    return samples
