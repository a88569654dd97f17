"""Scores of estimated beats against known ones, for the benchmark and the tests."""

from __future__ import annotations

from typing import Any

import numpy as np

# An estimated beat within this many seconds of a true one hits it (mir_eval's default window).
MATCH_WINDOW_S = 0.07


def beat_f_measure(reference: Any, estimated: Any, window_s: float = MATCH_WINDOW_S) -> float:
    """F-measure of estimated against reference beat times, with a +-window_s tolerance."""
    ref = np.sort(np.asarray(reference, dtype=float))
    est = np.sort(np.asarray(estimated, dtype=float))
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    matched = _match_count(ref, est, window_s)
    if matched == 0:
        return 0.0
    precision, recall = matched / len(est), matched / len(ref)
    return 2 * precision * recall / (precision + recall)


def hit_rate(reference: Any, estimated: Any, window_s: float = MATCH_WINDOW_S) -> float:
    """Share of reference times with an estimated time within window_s (one-to-one)."""
    ref = np.sort(np.asarray(reference, dtype=float))
    est = np.sort(np.asarray(estimated, dtype=float))
    if len(ref) == 0:
        return 1.0
    return _match_count(ref, est, window_s) / len(ref)


def _match_count(reference: np.ndarray, estimated: np.ndarray, window_s: float) -> int:
    # Two pointers over sorted times give the largest one-to-one matching when the window is
    # under half the beat period, which it is for any tempo in range.
    i = j = matched = 0
    while i < len(reference) and j < len(estimated):
        if abs(reference[i] - estimated[j]) <= window_s:
            matched += 1
            i += 1
            j += 1
        elif estimated[j] < reference[i]:
            j += 1
        else:
            i += 1
    return matched
