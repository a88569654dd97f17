"""The planner: from a request, a song's phrases and search candidates to a routine blueprint.

Pure functions over plain data (no database, no Django), so they can be tested and
benchmarked on their own. See beam.py for how the routine is found.
"""

from __future__ import annotations

from choreography.planner.beam import DEFAULT_BEAM_WIDTH, plan_routine
from choreography.planner.blueprint import Blueprint, PlannedMove
from choreography.planner.edit import alternatives, check_blueprint, regenerate, swap_move

__all__ = [
    "DEFAULT_BEAM_WIDTH",
    "Blueprint",
    "PlannedMove",
    "alternatives",
    "check_blueprint",
    "plan_routine",
    "regenerate",
    "swap_move",
]
