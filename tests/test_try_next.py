"""'Try next' (issue 16 part 5): a move asked for by name goes into the routine, and the progress page's
suggestions build such a routine in one tap."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from choreography import vocab
from choreography.domain import RoutineRequest
from choreography.models import Move, MoveProgress, Routine
from choreography.planner import plan_routine
from choreography.planner.edit import check_blueprint
from choreography.planner.wanted import moves_named, with_wanted_moves
from tests.factories import make_song
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


def _try_next_forms(html: str) -> list[dict]:
    """The progress page's one-tap forms: their action and hidden fields."""
    forms = re.findall(r'<ul class="try-next">(.*?)</ul>', html, re.S)
    assert forms, "the page lists suggestions"
    found = []
    for form in re.findall(r"<form (.*?)</form>", forms[0], re.S):
        fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
        found.append({"action": re.search(r'action="([^"]+)"', form).group(1), **fields})
    return found


@pytest.mark.slow
def test_try_next_builds_a_routine_with_that_move_in_one_tap(
    owner_client, owner, demo_song, django_capture_on_commit_callbacks, settings
):
    # A beginner who has learned the basic in closed hold is offered intermediate moves from there.
    settings.REDIS_URL = ""  # the embedded configuration: the job runs in this process once the request commits
    learned = Move.objects.filter(level="beginner", start_position="closed", published=True).order_by("slug").first()
    MoveProgress.objects.create(user=owner, move=learned, learned=True)
    html = owner_client.get(reverse("progress")).content.decode()
    forms = _try_next_forms(html)
    suggested = list(Move.objects.filter(name__in=[form["text"].removeprefix("A routine with the ") for form in forms]))
    assert suggested and all(move.level == "intermediate" for move in suggested)
    tap = forms[0]
    assert tap["action"] == reverse("describe")
    assert tap["song"] == str(demo_song.pk)  # no routine of their own yet: a demo song
    move = Move.objects.get(name=tap["text"].removeprefix("A routine with the "))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(tap["action"], {"text": tap["text"], "song": tap["song"]})
    routine = Routine.objects.get(owner=owner)
    assert response.status_code == 302 and response["Location"] == reverse("routine_detail", args=[routine.pk])
    routine.refresh_from_db()
    assert routine.status == "ready", routine.error
    rows = list(routine.moves.select_related("move"))
    asked = [row for row in rows if row.move_id == move.pk]
    assert asked, f"{move.name} is in the routine: {[row.move.slug for row in rows]}"
    assert asked[0].locked
    assert any(f"{move.name} is intermediate, a level above yours" in note for note in routine.notes)


@needs_catalog
@pytest.mark.django_db
def test_the_tap_asks_for_the_move_by_name_and_the_planner_puts_it_in(owner_client, owner):
    """The quick half of the one-tap test (no rendered catalog): the tap makes a routine whose words name
    the suggested move, and the planner, given those words, puts that move in on the song's phrases."""
    from choreography.generation import phrases_of
    from choreography.services.catalog import catalog_seed

    catalog_seed()
    learned = Move.objects.filter(level="beginner", start_position="closed").order_by("slug").first()
    MoveProgress.objects.create(user=owner, move=learned, learned=True)
    song = make_song(None, title="Demo song")  # a demo song: the dancer has no routine yet
    forms = _try_next_forms(owner_client.get(reverse("progress")).content.decode())
    assert forms
    for tap in forms:
        assert tap["song"] == str(song.pk)
        move = Move.objects.get(name=tap["text"].removeprefix("A routine with the "))
        assert move.level == "intermediate"
        # The tap itself: a routine is asked for with these words on that song (its job waits for the commit).
        response = owner_client.post(tap["action"], {"text": tap["text"], "song": tap["song"]})
        routine = Routine.objects.filter(owner=owner).latest("created_at")
        assert response.status_code == 302 and response["Location"] == reverse("routine_detail", args=[routine.pk])
        assert routine.text == tap["text"] and routine.song_id == song.pk
        # What generation does with the words (generation.generate_blueprint), on this song.
        assert moves_named(routine.text, CATALOG) == [move.slug]
        request = RoutineRequest(level="beginner", text=routine.text)
        phrases = phrases_of(song.analysis)
        planned = plan_routine(
            request=request, phrases=phrases, dancer_level="beginner", candidates=None, moves=CATALOG, seed=3
        )
        with_move, _ = with_wanted_moves(
            planned, [move.slug], moves=CATALOG, request=request, dancer_level="beginner", phrases=phrases
        )
        assert move.slug in {entry.slug for entry in with_move.entries}
