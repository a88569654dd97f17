"""Song analysis: beats, the "1" of each 8-count, phrases, energy and sections, as plain data.

`analyze_file` (or `analyze_audio` on decoded samples) runs the stages in order, each in the
module of its concern:

- decode:     any file FFmpeg reads -> float32 mono samples (AudioError where it is not a song)
- spectrum:   samples -> power spectrogram, onset strength, the audible span
- beats:      the tempo inside bachata's range, then a tracked beat grid (or a constant one)
- counts:     which beat is count 1..8 of a phrase, with breaks between phrases
- energy:     the song's loudness curve, and each phrase's energy and onset density
- sections:   intro, verse, chorus, mambo, break, outro over whole phrases, with their repeats
- evaluation: beat, downbeat and section scores against known ones, songs of a known form

No Django here; librosa and av are imported inside the functions that use them, so importing
this package is cheap for web processes.
"""

from __future__ import annotations

from choreography.music.analysis import SongAnalysis, analyze_audio, analyze_file, warm_up

__all__ = ["SongAnalysis", "analyze_audio", "analyze_file", "warm_up"]
