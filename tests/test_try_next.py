"""'Try next' (issue 16 part 5): a move asked for by name goes into the routine, and the progress page's
suggestions build such a routine in one tap."""

from __future__ import annotations

import pytest
from django.urls import reverse

from choreography import vocab
from choreography.domain import RoutineRequest
from choreography.planner import plan_routine
from choreography.planner.edit import check_blueprint
from choreography.planner.wanted import moves_named, with_wanted_moves
from tests.planner_support import real_catalog, song

CATALOG = real_catalog()
needs_catalog = pytest.mark.skipif(CATALOG is None, reason="the demo catalog is not there")


def _slug(name: str) -> str:
    return next(spec.slug for spec in CATALOG.values() if spec.name == name)


@needs_catalog
class TestMovesNamed:
    def test_it_finds_names_in_the_order_written_any_case(self):
        found = moves_named("A romantic one with the COPA, then   the head roll dip!", CATALOG)
        assert found == [_slug("Copa"), _slug("Head Roll Dip")]

    def test_a_longer_name_wins_and_a_plural_is_an_element_not_a_name(self):
        assert moves_named("with a Head Roll Dip", CATALOG) == [_slug("Head Roll Dip")]
        assert moves_named("lots of hip rolls and turns", CATALOG) == []
        assert moves_named("a routine with the Leader’s Turn", CATALOG) == [_slug("Leader's Turn")]

    def test_no_name_no_move(self):
        assert moves_named("a romantic bachata for beginners", CATALOG) == []


@needs_catalog
class TestWantedMoves:
    @pytest.mark.parametrize(("level", "next_level"), [("beginner", "intermediate"), ("intermediate", "advanced")])
    def test_every_move_of_this_or_the_next_level_goes_in_and_the_routine_stays_valid(self, level, next_level):
        request = RoutineRequest(level=level, text="a routine")
        phrases = song(24)
        planned = plan_routine(
            request=request, phrases=phrases, dancer_level=level, candidates=None, moves=CATALOG, seed=1
        )
        missing, broken = [], []
        for spec in CATALOG.values():
            if spec.level not in (level, next_level):
                continue
            routine, notes = with_wanted_moves(
                planned, [spec.slug], moves=CATALOG, request=request, dancer_level=level, phrases=phrases
            )
            wanted = [entry for entry in routine.entries if entry.slug == spec.slug]
            if not wanted:
                missing.append(spec.slug)
                continue
            already = spec.slug in {entry.slug for entry in planned.entries}
            # Put in by name: locked, so a later "Regenerate" keeps it.
            assert already or any(entry.locked for entry in wanted)
            above = RoutineRequest(level=next_level)
            if check_blueprint(routine, moves=CATALOG, phrases=phrases, dancer_level=next_level, request=above):
                broken.append(spec.slug)
            if spec.level == next_level and not already:
                assert any("a level above yours" in note for note in notes)
        assert missing == []
        assert broken == []

    def test_two_levels_up_is_left_out_with_a_note(self):
        request = RoutineRequest(level="beginner", text="t")
        phrases = song(12)
        planned = plan_routine(
            request=request, phrases=phrases, dancer_level="beginner", candidates=None, moves=CATALOG, seed=2
        )
        advanced = next(spec for spec in CATALOG.values() if spec.level == "advanced")
        routine, notes = with_wanted_moves(
            planned, [advanced.slug], moves=CATALOG, request=request, dancer_level="beginner", phrases=phrases
        )
        assert advanced.slug not in {entry.slug for entry in routine.entries}
        assert notes == [f"{advanced.name} is advanced, more than a level above yours (beginner); it was left out."]
        assert vocab.LEVEL_RANK["advanced"] - vocab.LEVEL_RANK["beginner"] == 2
