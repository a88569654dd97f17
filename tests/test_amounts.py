"""Amounts as asked: the parser reads them, the planner meets them on the demo catalog, dips are punctuation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from choreography import vocab
from choreography.domain import Amount, RoutineRequest
from choreography.intent import amount_label, evaluate, parse_request
from choreography.planner import check_blueprint, plan_routine
from choreography.planner.amounts import amounts_met
from tests.planner_support import real_catalog, song

AMOUNTS_PATH = Path(__file__).parent / "data" / "intent_amounts.json"
DEMO = real_catalog()
needs_demo = pytest.mark.skipif(DEMO is None, reason="the demo catalog (choreography/catalog/moves.json) is missing")
MINUTE_PHRASES = 16  # a minute at 130 BPM, near enough


def read(text: str) -> dict:
    """The amounts the rules read, as the evaluation set labels them."""
    request = parse_request(text, encoder=False)
    return {subject: amount_label(amount) for subject, amount in request.amounts.items()}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a single dip", {"dips": {"count": 1}}),
        ("one dip", {"dips": {"count": 1}}),
        ("two dips", {"dips": {"count": 2}}),
        ("3 turns", {"turns": {"count": 3}}),
        ("three quick turns", {"turns": {"count": 3}}),
        ("a couple of body waves", {"body_waves": {"count": 2}}),
        ("one or two hammerlocks", {"hammerlock": {"moves": [1, 2]}}),
        ("a few turns", {"turns": {"moves": [2, 4]}}),
        ("several spins", {"turns": {"moves": [3, 5]}}),
        ("some footwork", {"footwork": {"share": "some"}}),
        ("lots of turns", {"turns": {"share": "lots"}}),
        ("not too many spins", {"turns": {"share": "not_many"}}),
        ("mostly footwork", {"footwork": {"share": "mostly"}}),
        ("only turns", {"turns": {"share": "only"}}),
        ("dips only", {"dips": {"share": "only"}}),
        ("no dips", {"dips": {"count": 0}}),
        ("a dip at the end", {"dips": {"count": 1, "place": "end"}}),
        ("finish with a dip", {"dips": {"count": 1, "place": "end"}}),
        ("end on a turn, no dips", {"turns": {"count": 1, "place": "end"}, "dips": {"count": 0}}),
        ("a hammerlock in the middle", {"hammerlock": {"count": 1, "place": "middle"}}),
        ("just the basics", {"basics": {"share": "only"}}),
        (
            "mostly basics and one simple turn, about a minute",
            {"basics": {"share": "mostly"}, "turns": {"count": 1}},
        ),
        ("lots of turns and a dip", {"turns": {"share": "lots"}, "dips": {"count": 1}}),
        ("a romantic bachata with turns", {}),
        ("level two turns", {}),
    ],
)
def test_the_parser_reads_amounts(text, expected):
    assert read(text) == expected


def test_a_number_takes_the_place_of_a_quantifier_meant_for_the_basics():
    request = parse_request("mostly basics and one simple turn", encoder=False)
    assert request.include == {"turns": "some"}
    assert request.amounts["turns"].count == 1 and request.amounts["turns"].words == "one simple"


def test_quick_turns_are_not_a_short_routine():
    assert parse_request("three quick turns", encoder=False).duration_s is None


class TestStored:
    def test_amounts_round_trip_through_json(self):
        request = parse_request("mostly basics, two dips and a turn at the end", encoder=False)
        again = RoutineRequest.from_dict(json.loads(json.dumps(request.to_dict())))
        assert again == request
        assert again.amounts["basics"].share == (0.5, 0.85)
        assert again.amounts["turns"].place == "end"

    def test_a_request_stored_before_amounts_still_loads(self):
        old = {"level": "beginner", "include": {"turns": "lots"}, "exclude": ["dips"], "text": "lots of turns"}
        request = RoutineRequest.from_dict(old)
        assert request.amounts == {} and request.include == {"turns": "lots"}

    @pytest.mark.django_db
    def test_a_routine_row_keeps_the_amounts(self, owner):
        from choreography.models import Routine
        from tests.factories import make_routine

        routine = make_routine(owner)
        request = parse_request("a single dip at the end", encoder=False)
        Routine.objects.filter(pk=routine.pk).update(request=request.to_dict())
        routine.refresh_from_db()
        assert RoutineRequest.from_dict(routine.request).amounts == {
            "dips": Amount(count=1, place="end", words="a single")
        }


def test_the_amounts_evaluation_set(encoder):
    # "dev" items guided the parser; "test" items were written with them and never tuned on. Floor:
    # the first measurement of the test split (0.90) less 0.05; never edit the data to pass.
    dev = evaluate(AMOUNTS_PATH, encoder=encoder, split="dev")
    test = evaluate(AMOUNTS_PATH, encoder=encoder, split="test")
    assert dev["amount_items"] == test["amount_items"] == 30
    assert dev["amount_accuracy"] >= 0.95
    assert test["amount_accuracy"] >= 0.85 and test["amount_f1"] >= 0.9


@pytest.fixture(scope="module")
def encoder():
    from choreography.embeddings import get_text_encoder

    return get_text_encoder()


def planned(text: str, level: str, *, seed: int = 0, phrases: int = 40):
    request = parse_request(text, encoder=False)
    covered = song(phrases)
    blueprint = plan_routine(
        request=request,
        phrases=covered,
        dancer_level=level,
        candidates=None,
        moves=DEMO,
        seed=seed,
        duration_s=request.duration_s,
    )
    assert check_blueprint(blueprint, moves=DEMO, phrases=covered, dancer_level=level, request=request) == []
    return request, blueprint, [DEMO[entry.slug] for entry in blueprint.entries]


def with_element(moves, element: str) -> int:
    return sum(element in move.elements for move in moves)


@needs_demo
@pytest.mark.parametrize("level", vocab.LEVELS)
@pytest.mark.parametrize("seed", [0, 1, 2])
class TestPlannedOnTheDemoCatalog:
    def test_a_single_dip_is_one(self, level, seed):
        request, blueprint, moves = planned("a single dip", level, seed=seed)
        assert with_element(moves, "dips") == 1
        assert amounts_met(request.amounts, moves) == []
        dip = next(entry for entry in blueprint.entries if "dips" in entry.elements)
        assert "you asked for a single dip" in dip.reason or dip.reason.startswith("finish: a dip")

    def test_two_dips_are_two(self, level, seed):
        request, _, moves = planned("two dips", level, seed=seed)
        assert with_element(moves, "dips") == 2

    def test_mostly_basics_and_one_simple_turn_in_a_minute(self, level, seed):
        request, blueprint, moves = planned(
            "mostly basics and one simple turn, about a minute", level, seed=seed, phrases=48
        )
        assert with_element(moves, "turns") == 1
        basics = sum(move.phrases for move in moves if "basic" in move.tags or "basic" in move.slug.split("-"))
        assert basics >= blueprint.phrase_count / 2
        assert abs(blueprint.entries[-1].end_s - 60.0) <= 4.0
        assert amounts_met(request.amounts, moves) == []

    def test_lots_of_turns_fill_their_band(self, level, seed):
        request, blueprint, moves = planned("lots of turns", level, seed=seed)
        turns = sum(move.phrases for move in moves if "turns" in move.elements)
        assert 0.25 * blueprint.phrase_count <= turns <= 0.6 * blueprint.phrase_count
        assert with_element(moves, "dips") <= 1

    def test_no_dips_is_none(self, level, seed):
        _, _, moves = planned("no dips", level, seed=seed)
        assert with_element(moves, "dips") == 0

    def test_a_dip_at_the_end_is_the_last_move_and_the_only_dip(self, level, seed):
        _, blueprint, moves = planned("a dip at the end", level, seed=seed)
        assert with_element(moves, "dips") == 1 and "dips" in moves[-1].elements
        assert "as you asked" in blueprint.entries[-1].reason


@needs_demo
@pytest.mark.parametrize(
    "text, level",
    [
        ("a few turns and a hammerlock in the middle", "intermediate"),
        ("just the basics and a right turn", "beginner"),
        ("some footwork, 3 dips and a couple of body waves", "advanced"),
        ("not too many spins, one dip to finish", "intermediate"),
        ("three turns then end on a dip", "beginner"),
        ("one or two hammerlocks and lots of cross body leads", "intermediate"),
        ("a body wave in the middle and a dip at the end", "advanced"),
    ],
)
def test_other_amounts_are_met_where_the_catalog_allows(text, level):
    request, _, moves = planned(text, level, seed=3)
    assert amounts_met(request.amounts, moves, request.exclude) == []


@needs_demo
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_count_is_spread_over_the_routine_not_danced_at_the_start(seed):
    _, blueprint, _ = planned("five turns", "beginner", seed=seed, phrases=40)
    starts = [entry.first_phrase for entry in blueprint.entries if "turns" in entry.elements]
    assert len(starts) == 5
    assert starts[2] >= 40 / 5 and starts[-1] >= 40 / 2


@needs_demo
class TestWhereTheCatalogCannot:
    def test_too_many_for_the_song_says_what_was_done(self):
        _, blueprint, moves = planned("five turns", "beginner", phrases=4)
        assert with_element(moves, "turns") < 5
        assert any(note.startswith("You asked for five turns: the routine has") for note in blueprint.notes)

    def test_an_element_above_the_level_says_so(self):
        _, blueprint, moves = planned("two hammerlocks", "beginner")
        assert with_element(moves, "hammerlock") == 0
        assert any("Every move with hammerlock is above your beginner level" in note for note in blueprint.notes)

    def test_more_than_asked_where_the_finish_needs_it_says_why(self):
        # None asked of turns, but no dips: at the beginner level the only finishing move left is a turn.
        request = RoutineRequest(exclude=["dips"], amounts={"turns": Amount(count=0, words="no")})
        blueprint = plan_routine(
            request=request, phrases=song(12), dancer_level="beginner", candidates=None, moves=DEMO
        )
        moves = [DEMO[entry.slug] for entry in blueprint.entries]
        assert with_element(moves, "turns") == 1 and "turns" in moves[-1].elements
        assert any("the way to finish in closed position" in note for note in blueprint.notes)


no_dips_asked = st.builds(
    RoutineRequest,
    level=st.none() | st.sampled_from(vocab.LEVELS),
    style=st.none() | st.sampled_from(vocab.STYLES),
    mood=st.none() | st.sampled_from(vocab.MOODS),
    include=st.dictionaries(
        st.sampled_from([e for e in vocab.ELEMENTS if e != "dips"]), st.sampled_from(["lots", "some"]), max_size=3
    ),
)


@needs_demo
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    request=no_dips_asked,
    level=st.sampled_from(vocab.LEVELS),
    count=st.integers(4, 50),
    seed=st.integers(0, 2**16),
)
def test_dips_nobody_asked_for_are_at_most_one(request, level, count, seed):
    phrases = song(count)
    blueprint = plan_routine(
        request=request, phrases=phrases, dancer_level=level, candidates=None, moves=DEMO, seed=seed
    )
    dips = [entry for entry in blueprint.entries if "dips" in entry.elements]
    assert len(dips) <= 1
    for entry in dips:
        # At the finish, or where a run of high-energy phrases ends.
        last = entry is blueprint.entries[-1]
        peak_end = (
            phrases[entry.last_phrase].energy >= 0.7 > phrases[entry.last_phrase + 1].energy if not last else True
        )
        assert peak_end


@needs_demo
def test_not_every_routine_ends_on_a_dip():
    endings = {}
    for mood in (None, "romantic", "energetic", "playful", "smooth"):
        for seed in range(3):
            for energies in (None, [0.9, 0.3]):
                request = RoutineRequest(mood=mood)
                blueprint = plan_routine(
                    request=request,
                    phrases=song(24, energies),
                    dancer_level="intermediate",
                    candidates=None,
                    moves=DEMO,
                    seed=seed,
                )
                endings.setdefault(mood, []).append("dips" in blueprint.entries[-1].elements)
    assert sum(endings["romantic"]) >= 5  # romantic leans to a final dip
    assert sum(endings["energetic"]) + sum(endings["playful"]) <= 4  # energetic and playful to a turn
    assert 0 < sum(endings[None]) < len(endings[None])  # otherwise the music decides: some of each


amounts = st.dictionaries(
    st.sampled_from(vocab.AMOUNT_SUBJECTS),
    st.one_of(
        st.builds(Amount, count=st.integers(1, 4), place=st.none() | st.sampled_from(vocab.AMOUNT_PLACES)),
        st.builds(Amount, moves=st.sampled_from([(1, 2), (2, 4), (3, 5)])),
        st.builds(Amount, share=st.sampled_from([(0.05, 0.3), (0.25, 0.6), (0.5, 0.85), (0.6, 1.0)])),
        st.builds(Amount, place=st.sampled_from(vocab.AMOUNT_PLACES)),
    ),
    max_size=3,
)


@needs_demo
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    wished=amounts,
    exclude=st.lists(st.sampled_from(vocab.ELEMENTS), max_size=2, unique=True),
    level=st.sampled_from(vocab.LEVELS),
    count=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_any_amounts_keep_the_hard_rules(wished, exclude, level, count, seed):
    request = RoutineRequest(amounts=wished, exclude=exclude)
    phrases = song(count)
    blueprint = plan_routine(
        request=request, phrases=phrases, dancer_level=level, candidates=None, moves=DEMO, seed=seed
    )
    assert check_blueprint(blueprint, moves=DEMO, phrases=phrases, dancer_level=level, request=request) == []
    assert all(note and "\n" not in note for note in blueprint.notes)
