"""Songs as phrases and the demo catalog, for the planner's tests (plain data: no database)."""

from __future__ import annotations

import math

from choreography.domain import MoveSpec, Phrase

PHRASE_S = 8 * 60 / 130  # one 8-count at 130 BPM
FIRST_DOWNBEAT_S = 0.6


def real_catalog() -> dict[str, MoveSpec] | None:
    """The demo catalog (choreography/catalog/moves.json) by slug, or None where it is not there."""
    try:
        from choreography.catalog.data import load_catalog

        return {spec.slug: spec for spec in load_catalog()}
    except (ImportError, OSError):
        return None


def song(count: int, energies: list[float] | None = None) -> list[Phrase]:
    """`count` phrases at 130 BPM; energies cycle through `energies`, or rise and fall like a song's."""
    phrases = []
    for index in range(count):
        start = FIRST_DOWNBEAT_S + index * PHRASE_S
        energy = energies[index % len(energies)] if energies else 0.3 + 0.6 * math.sin(index / 5) ** 2
        beats = tuple(start + beat * PHRASE_S / 8 for beat in range(8))
        phrases.append(Phrase(start_s=start, end_s=start + PHRASE_S, energy=round(energy, 3), beats=beats))
    return phrases
