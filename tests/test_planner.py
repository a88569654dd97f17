"""The planner: hard rules always hold, soft goals are met where the catalog allows, edits stay valid."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from choreography import vocab
from choreography.domain import MoveSpec, RoutineRequest
from choreography.errors import PlanningError
from choreography.planner import (
    Blueprint,
    PlannedMove,
    alternatives,
    check_blueprint,
    plan_routine,
    regenerate,
    swap_move,
)
from choreography.planner.scoring import END_ANY, END_FINISHER, end_tier
from tests.planner_support import PHRASE_S, real_catalog, song

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def move(slug, level, counts, start, end, elements=(), **extra) -> MoveSpec:
    return MoveSpec(
        slug=slug,
        name=slug.replace("-", " ").title(),
        description="",
        level=level,
        counts=counts,
        start_position=start,
        end_position=end,
        elements=tuple(elements),
        styles=tuple(extra.pop("styles", ("traditional", "sensual"))),
        energy=extra.pop("energy", 0.5),
        tags=tuple(extra.pop("tags", ())),
        **extra,
    )


SYNTHETIC = {
    spec.slug: spec
    for spec in [
        move("basic", "beginner", 8, "closed", "closed", opener=True, tags=("basic",), energy=0.2),
        move("open-basic", "beginner", 8, "open", "open", opener=True, tags=("basic",), energy=0.3),
        move("open-break", "beginner", 8, "closed", "open", energy=0.35),
        move("return-to-closed", "beginner", 8, "open", "closed", energy=0.3),
        move("right-turn", "beginner", 8, "open", "open", ("turns",), energy=0.5),
        move("left-turn", "beginner", 8, "open", "open", ("turns",), energy=0.5),
        move("turn-to-closed", "beginner", 16, "closed", "closed", ("turns",), finisher=True),
        move("simple-dip", "beginner", 8, "closed", "closed", ("dips",), finisher=True, tags=("romantic",)),
        move("footwork-basic", "beginner", 8, "closed", "closed", ("footwork",), styles=("dominican",), energy=0.6),
        move("arm-styling", "beginner", 8, "open", "open", ("arm_styling",), tags=("playful",)),
        move("cross-body-lead", "intermediate", 8, "open", "open", ("cross_body_lead",)),
        move("cbl-inside-turn", "intermediate", 8, "open", "open", ("cross_body_lead", "turns"), energy=0.6),
        move("hammerlock-entry", "intermediate", 8, "open", "hammerlock", ("hammerlock", "turns")),
        move("hammerlock-exit", "intermediate", 8, "hammerlock", "open", ("hammerlock", "turns")),
        move("shadow-entry", "intermediate", 8, "open", "shadow", ("shadow_position",)),
        move("shadow-exit", "intermediate", 8, "shadow", "closed", ("shadow_position",)),
        move("body-wave", "intermediate", 8, "closed", "closed", ("body_waves",), styles=("sensual",)),
        move("cuddle-in", "intermediate", 8, "open", "cuddle", ("turns",), tags=("romantic",)),
        move("cuddle-out", "intermediate", 24, "cuddle", "open", ("turns",)),
        move("shadow-wave", "advanced", 8, "shadow", "shadow", ("shadow_position", "body_waves"), energy=0.7),
        move("shadow-exit-dip", "advanced", 16, "shadow", "closed", ("shadow_position", "dips"), finisher=True),
        move("long-shine", "advanced", 32, "open", "open", ("footwork", "syncopation"), energy=0.9),
        move("death-drop", "advanced", 8, "closed", "closed", ("dips",), finisher=True, energy=0.9),
    ]
}


REAL = real_catalog()
needs_real = pytest.mark.skipif(REAL is None, reason="the real catalog (choreography/catalog/data.py) is not there yet")


def plan(request, phrases, level, moves=SYNTHETIC, candidates=None, **kwargs) -> Blueprint:
    return plan_routine(
        request=request,
        phrases=phrases,
        dancer_level=level,
        candidates=candidates if candidates is not None else [[] for _ in phrases],
        moves=moves,
        **kwargs,
    )


def assert_hard_rules(blueprint, *, moves, phrases, level, request, duration_s=None):
    """The rules, checked here without the planner's own code, and then by check_blueprint."""
    entries = blueprint.entries
    assert entries
    assert entries[0].first_phrase == 0
    assert entries[0].start_position in vocab.START_POSITIONS
    for before, after in zip(entries, entries[1:]):
        assert after.start_position == before.end_position
        assert after.first_phrase == before.first_phrase + before.phrase_count
        assert after.start_s == pytest.approx(before.end_s)
    for entry in entries:
        spec = moves[entry.slug]
        assert vocab.level_allows(level, spec.level)
        assert not set(request.exclude) & set(spec.elements)
        assert entry.counts == spec.counts == 8 * entry.phrase_count
        assert entry.start_s == pytest.approx(phrases[entry.first_phrase].start_s)
        assert entry.end_s == pytest.approx(phrases[entry.last_phrase].end_s)
        assert entry.reason and "\n" not in entry.reason
    assert (
        check_blueprint(
            blueprint, moves=moves, phrases=phrases, dancer_level=level, request=request, duration_s=duration_s
        )
        == []
    )


requests = st.builds(
    RoutineRequest,
    level=st.none() | st.sampled_from(vocab.LEVELS),
    style=st.none() | st.sampled_from(vocab.STYLES),
    mood=st.none() | st.sampled_from(vocab.MOODS),
    include=st.dictionaries(st.sampled_from(vocab.ELEMENTS), st.sampled_from(["lots", "some"]), max_size=3),
    exclude=st.lists(st.sampled_from(vocab.ELEMENTS), max_size=3, unique=True),
)


def random_candidates(draw_slugs, phrases):
    return [[(slug, 0.9 - 0.05 * rank) for rank, slug in enumerate(slugs)] for slugs in draw_slugs][: len(phrases)]


class TestHardRules:
    @PROPERTY
    @given(
        request=requests,
        level=st.sampled_from(vocab.LEVELS),
        count=st.integers(1, 30),
        seed=st.integers(0, 2**16),
        slugs=st.lists(st.lists(st.sampled_from(sorted(SYNTHETIC)), max_size=6, unique=True), max_size=30),
    )
    def test_they_hold_on_the_synthetic_catalog(self, request, level, count, seed, slugs):
        phrases = song(count)
        blueprint = plan(request, phrases, level, candidates=random_candidates(slugs, phrases), seed=seed)
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level=level, request=request)
        assert blueprint.phrase_count == count

    @needs_real
    @PROPERTY
    @given(
        request=requests,
        level=st.sampled_from(vocab.LEVELS),
        count=st.integers(1, 50),
        seed=st.integers(0, 2**16),
    )
    def test_they_hold_on_the_real_catalog(self, request, level, count, seed):
        phrases = song(count)
        blueprint = plan(request, phrases, level, moves=REAL, seed=seed)
        assert_hard_rules(blueprint, moves=REAL, phrases=phrases, level=level, request=request)

    def test_it_ends_on_a_finisher(self):
        request = RoutineRequest()
        blueprint = plan(request, song(12), "beginner")
        assert SYNTHETIC[blueprint.entries[-1].slug].finisher
        assert blueprint.entries[-1].reason.startswith("finish:")
        assert blueprint.notes == []

    def test_it_opens_with_an_opener(self):
        blueprint = plan(RoutineRequest(include={"turns": "lots"}), song(12), "intermediate")
        assert SYNTHETIC[blueprint.entries[0].slug].opener
        assert blueprint.entries[0].reason.startswith("opener:")

    def test_check_blueprint_names_broken_rules(self):
        phrases = song(6)
        request = RoutineRequest(exclude=["dips"])
        blueprint = plan(request, phrases, "beginner")
        broken = Blueprint.from_dict(blueprint.to_dict())
        broken.entries[0] = PlannedMove.from_dict({**broken.entries[0].to_dict(), "start_s": 99.0})
        broken.entries.append(broken.entries[-1])
        problems = check_blueprint(broken, moves=SYNTHETIC, phrases=phrases, dancer_level="beginner", request=request)
        assert any("phrase's 1" in problem for problem in problems)
        assert any("starts at phrase" in problem for problem in problems)

    def test_check_blueprint_refuses_a_non_finisher_ending_where_one_fits(self):
        phrases = song(3)
        request = RoutineRequest()
        entries = [
            PlannedMove("basic", "Basic", "beginner", (), i, 1, p.start_s, p.end_s, 8, "closed", "closed", "x")
            for i, p in enumerate(phrases)
        ]
        problems = check_blueprint(
            Blueprint(entries), moves=SYNTHETIC, phrases=phrases, dancer_level="beginner", request=request
        )
        assert problems and "finishing move" in problems[0]


def brute_force(moves: dict[str, MoveSpec], phrase_count: int) -> tuple[int, int] | None:
    """By enumeration: the cleanest ending of any valid routine over exactly phrase_count phrases, and the
    most turn phrases a routine with that ending holds."""
    endings: dict[int, int] = {}

    def extend(covered: int, position: str | None, last: MoveSpec | None, turns: int) -> None:
        if covered == phrase_count:
            tier = end_tier(last)
            endings[tier] = max(endings.get(tier, 0), turns)
            return
        for spec in moves.values():
            fits = spec.start_position in vocab.START_POSITIONS if position is None else spec.start_position == position
            if fits and covered + spec.phrases <= phrase_count:
                carried = spec.phrases if "turns" in spec.elements else 0
                extend(covered + spec.phrases, spec.end_position, spec, turns + carried)

    extend(0, None, None, 0)
    if not endings:
        return None
    tier = min(endings)
    return tier, endings[tier]


tiny_moves = st.lists(
    st.builds(
        move,
        slug=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        level=st.just("beginner"),
        counts=st.sampled_from([8, 16]),
        start=st.sampled_from(["closed", "open", "shadow"]),
        end=st.sampled_from(["closed", "open", "shadow"]),
        elements=st.sampled_from([(), ("turns",)]),
        finisher=st.booleans(),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda spec: spec.slug,
)


@PROPERTY
@given(specs=tiny_moves, count=st.integers(1, 6), seed=st.integers(0, 100), amount=st.sampled_from(["lots", "some"]))
def test_it_ends_as_cleanly_and_turns_as_often_as_any_routine_can(specs, count, seed, amount):
    moves = {spec.slug: spec for spec in specs}
    phrases = song(count)
    request = RoutineRequest(include={"turns": amount})
    # The planner covers the whole song where it can, else the longest coverage that tiles.
    expected = next(((n, found) for n in range(count, 0, -1) if (found := brute_force(moves, n)) is not None), None)
    if expected is None:
        with pytest.raises(PlanningError):
            plan(request, phrases, "beginner", moves=moves, seed=seed)
        return
    covered, (tier, most_turns) = expected
    blueprint = plan(request, phrases, "beginner", moves=moves, seed=seed)
    assert blueprint.phrase_count == covered
    assert end_tier(moves[blueprint.entries[-1].slug]) == tier
    if tier != END_FINISHER:
        assert any("finishing move" in note for note in blueprint.notes)
    if covered != count:
        assert any("instead" in note for note in blueprint.notes)
    target = math.ceil(covered / 4) if amount == "lots" else 1
    turns = sum(entry.phrase_count for entry in blueprint.entries if "turns" in entry.elements)
    assert turns >= min(target, most_turns)
    assert (turns < target) == any("turns" in note for note in blueprint.notes)
    assert check_blueprint(blueprint, moves=moves, phrases=phrases, dancer_level="beginner", request=request) == []


class TestSoftGoals:
    @PROPERTY
    @given(level=st.sampled_from(vocab.LEVELS), count=st.integers(4, 40), seed=st.integers(0, 2**16))
    def test_lots_of_turns_gives_a_quarter_of_the_phrases(self, level, count, seed):
        request = RoutineRequest(include={"turns": "lots"})
        blueprint = plan(request, song(count), level, seed=seed)
        turn_phrases = sum(entry.phrase_count for entry in blueprint.entries if "turns" in entry.elements)
        assert turn_phrases >= math.ceil(count / 4)
        assert not any("turns" in note for note in blueprint.notes)

    @needs_real
    @pytest.mark.parametrize("element", ["turns", "dips", "body_waves", "footwork", "shadow_position"])
    def test_lots_of_an_element_on_the_real_catalog(self, element):
        request = RoutineRequest(include={element: "lots"})
        blueprint = plan(request, song(48), "advanced", moves=REAL, seed=1)
        carrying = sum(entry.phrase_count for entry in blueprint.entries if element in entry.elements)
        assert carrying >= 12

    def test_some_gives_at_least_one(self):
        blueprint = plan(RoutineRequest(include={"hammerlock": "some"}), song(10), "intermediate")
        assert any("hammerlock" in entry.elements for entry in blueprint.entries)
        assert any(entry.reason.startswith("hammerlock:") for entry in blueprint.entries)

    def test_no_move_twice_in_a_row_and_variety(self):
        blueprint = plan(RoutineRequest(), song(30), "advanced", seed=4)
        slugs = [entry.slug for entry in blueprint.entries]
        assert all(a != b for a, b in zip(slugs, slugs[1:]))
        assert len(set(slugs)) >= 8

    @needs_real
    def test_a_beginner_comes_back_to_the_basic(self):
        blueprint = plan(RoutineRequest(include={"turns": "lots"}), song(48), "beginner", moves=REAL, seed=2)
        gap = longest = 0
        for entry in blueprint.entries:
            gap = 0 if "basic" in REAL[entry.slug].tags else gap + 1
            longest = max(longest, gap)
        assert longest <= 5

    @needs_real
    @pytest.mark.parametrize("level", vocab.LEVELS)
    def test_a_dip_nobody_asked_for_is_punctuation(self, level):
        # At most one, at the finish or where a run of high-energy phrases ends (the song's peak).
        phrases = song(40)
        for seed in range(6):
            request = RoutineRequest(include={"turns": "lots"}, mood="romantic")
            entries = plan(request, phrases, level, moves=REAL, seed=seed).entries
            dips = [e for e in entries if "dips" in REAL[e.slug].elements]
            assert len(dips) <= 1, f"seed {seed}: {[e.slug for e in dips]}"
            for entry in (e for e in dips if e is not entries[-1]):
                peak, after = phrases[entry.last_phrase].energy, phrases[entry.last_phrase + 1].energy
                assert peak >= 0.7 > after, f"seed {seed}: {entry.slug} ends phrase {entry.last_phrase}, no peak's end"

    @needs_real
    def test_asked_for_dips_may_come_anywhere(self):
        request = RoutineRequest(include={"dips": "lots"})
        entries = plan(request, song(32), "advanced", moves=REAL, seed=0).entries
        assert sum("dips" in REAL[e.slug].elements for e in entries[:-1]) >= 2

    @needs_real
    def test_move_energy_follows_the_music(self):
        energies = [0.1] * 8 + [0.95] * 8
        phrases = song(48, energies)
        blueprint = plan(RoutineRequest(), phrases, "advanced", moves=REAL, seed=0)
        loud, quiet = [], []
        for entry in blueprint.entries:
            bucket = loud if phrases[entry.first_phrase].energy > 0.5 else quiet
            bucket.append(REAL[entry.slug].energy)
        assert sum(loud) / len(loud) > sum(quiet) / len(quiet) + 0.2

    def test_search_candidates_are_favoured(self):
        phrases = song(9)
        candidates = [[("footwork-basic", 0.9), ("basic", 0.2)] for _ in phrases]
        blueprint = plan(RoutineRequest(), phrases, "beginner", candidates=candidates)
        assert sum(entry.slug == "footwork-basic" for entry in blueprint.entries) >= 2


class TestDeterminism:
    def test_same_seed_same_routine(self):
        request = RoutineRequest(include={"turns": "some"}, mood="romantic")
        first = plan(request, song(25), "intermediate", seed=7)
        second = plan(request, song(25), "intermediate", seed=7)
        assert first.to_dict() == second.to_dict()

    @PROPERTY
    @given(seed=st.integers(0, 2**16), level=st.sampled_from(vocab.LEVELS))
    def test_other_seeds_give_other_valid_routines(self, seed, level):
        # Two neighbouring seeds may land on the same routine by chance; four in a row never all do.
        request = RoutineRequest()
        phrases = song(24)
        blueprints = [plan(request, phrases, level, seed=seed + offset) for offset in range(4)]
        assert len({tuple(e.slug for e in blueprint.entries) for blueprint in blueprints}) >= 2
        for blueprint in blueprints:
            assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level=level, request=request)

    def test_blueprint_round_trips_through_json(self):
        blueprint = plan(RoutineRequest(include={"dips": "lots"}), song(8), "beginner")
        assert Blueprint.from_dict(blueprint.to_dict()) == blueprint


class TestLocks:
    @PROPERTY
    @given(seed=st.integers(0, 2**16), picks=st.lists(st.integers(0, 100), min_size=1, max_size=4))
    def test_locked_moves_stay_when_regenerated(self, seed, picks):
        request = RoutineRequest(include={"turns": "some"})
        phrases = song(20)
        blueprint = plan(request, phrases, "intermediate", seed=seed)
        entries = list(blueprint.entries)
        for pick in picks:
            index = pick % len(entries)
            entries[index] = PlannedMove.from_dict({**entries[index].to_dict(), "locked": True})
        locked = Blueprint(entries=entries, notes=blueprint.notes, score=blueprint.score)
        again = regenerate(
            locked, seed=seed + 1, moves=SYNTHETIC, request=request, dancer_level="intermediate", phrases=phrases
        )
        assert_hard_rules(again, moves=SYNTHETIC, phrases=phrases, level="intermediate", request=request)
        kept = {(entry.first_phrase, entry.slug) for entry in again.entries if entry.locked}
        assert kept == {(entry.first_phrase, entry.slug) for entry in entries if entry.locked}

    def test_a_lock_places_the_move(self):
        phrases = song(12)
        blueprint = plan(RoutineRequest(), phrases, "intermediate", locked={5: "hammerlock-entry"})
        entry = next(entry for entry in blueprint.entries if entry.first_phrase == 5)
        assert entry.slug == "hammerlock-entry" and entry.locked
        assert entry.reason.startswith("locked:")
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="intermediate", request=RoutineRequest())

    def test_impossible_locks_are_dropped_with_a_note(self):
        phrases = song(12)
        locked = {0: "shadow-exit", 3: "no-such-move", 4: "death-drop", 11: "cuddle-out"}
        blueprint = plan(RoutineRequest(), phrases, "intermediate", locked=locked)
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="intermediate", request=RoutineRequest())
        assert len([note for note in blueprint.notes if "locked move" in note]) == 4
        assert not any(entry.locked for entry in blueprint.entries)

    def test_locks_that_cannot_connect_are_dropped(self):
        phrases = song(6)
        # A hammerlock entry straight before a shadow exit: no position connects them.
        blueprint = plan(RoutineRequest(), phrases, "intermediate", locked={1: "hammerlock-entry", 2: "shadow-exit"})
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="intermediate", request=RoutineRequest())
        assert any("cannot connect" in note for note in blueprint.notes)
        assert {entry.slug for entry in blueprint.entries if entry.locked} == {"hammerlock-entry"}


class TestEditing:
    @PROPERTY
    @given(seed=st.integers(0, 2**16), level=st.sampled_from(vocab.LEVELS), data=st.data())
    def test_alternatives_all_fit_and_swap_keeps_the_routine_valid(self, seed, level, data):
        request = RoutineRequest(exclude=["dips"], include={"turns": "lots"})
        phrases = song(14)
        blueprint = plan(request, phrases, level, seed=seed)
        index = data.draw(st.integers(0, len(blueprint.entries) - 1))
        options = alternatives(
            blueprint, index, moves=SYNTHETIC, request=request, dancer_level=level, phrases=phrases, limit=10
        )
        for slug, reason in options:
            assert slug != blueprint.entries[index].slug and reason
            swapped = swap_move(
                blueprint, index, slug, moves=SYNTHETIC, request=request, dancer_level=level, phrases=phrases
            )
            assert swapped.entries[index].slug == slug and swapped.entries[index].locked
            assert swapped.entries[:index] == blueprint.entries[:index]
            assert swapped.entries[index + 1 :] == blueprint.entries[index + 1 :]
            assert_hard_rules(swapped, moves=SYNTHETIC, phrases=phrases, level=level, request=request)

    @needs_real
    def test_alternatives_fit_on_the_real_catalog(self):
        request = RoutineRequest(include={"turns": "lots"}, exclude=["dips"])
        phrases = song(16)
        blueprint = plan(request, phrases, "intermediate", moves=REAL, seed=3)
        kwargs = {"moves": REAL, "request": request, "dancer_level": "intermediate", "phrases": phrases}
        offered = 0
        for index in range(len(blueprint.entries)):
            for slug, _ in alternatives(blueprint, index, **kwargs):
                offered += 1
                swapped = swap_move(blueprint, index, slug, **kwargs)
                assert_hard_rules(swapped, moves=REAL, phrases=phrases, level="intermediate", request=request)
        assert offered >= len(blueprint.entries)

    @needs_real
    @pytest.mark.parametrize("level", ["beginner", "intermediate"])
    def test_the_editor_weighs_a_move_as_the_beam_does(self, level):
        # The beam keeps a dip nobody asked for for the finish; so does the editor's first alternative.
        request = RoutineRequest(include={"turns": "lots"}, mood="romantic")
        phrases = song(24)
        kwargs = {"moves": REAL, "request": request, "dancer_level": level, "phrases": phrases}
        for seed in range(3):
            blueprint = plan(request, phrases, level, moves=REAL, seed=seed)
            for index in range(len(blueprint.entries) - 1):
                options = [slug for slug, _ in alternatives(blueprint, index, **kwargs)]
                if any("dips" not in REAL[slug].elements for slug in options):
                    assert "dips" not in REAL[options[0]].elements, f"seed {seed}, move {index + 1}: {options}"

    def test_regenerate_without_locks_replans_everything(self):
        request = RoutineRequest()
        phrases = song(12)
        blueprint = plan(request, phrases, "beginner", duration_s=30.0)
        blueprint = swap_move(
            blueprint,
            1,
            alternatives(blueprint, 1, moves=SYNTHETIC, request=request, dancer_level="beginner", phrases=phrases)[0][
                0
            ],
            moves=SYNTHETIC,
            request=request,
            dancer_level="beginner",
            phrases=phrases,
        )
        again = regenerate(
            blueprint,
            seed=5,
            keep_locked=False,
            moves=SYNTHETIC,
            request=request,
            dancer_level="beginner",
            phrases=phrases,
        )
        assert not any(entry.locked for entry in again.entries)
        assert again.phrase_count == blueprint.phrase_count
        assert_hard_rules(again, moves=SYNTHETIC, phrases=phrases, level="beginner", request=request, duration_s=30.0)

    def test_alternatives_are_offered_for_a_basic(self):
        phrases = song(8)
        request = RoutineRequest()
        blueprint = plan(request, phrases, "beginner")
        options = alternatives(blueprint, 0, moves=SYNTHETIC, request=request, dancer_level="beginner", phrases=phrases)
        assert 1 <= len(options) <= 5

    def test_swap_rejects_a_misfit(self):
        phrases = song(8)
        request = RoutineRequest(exclude=["footwork"])
        blueprint = plan(request, phrases, "beginner")
        middle = next(i for i, e in enumerate(blueprint.entries[1:-1], 1) if e.start_position == "closed")
        kwargs = {"moves": SYNTHETIC, "request": request, "dancer_level": "beginner", "phrases": phrases}
        for slug, why in [
            ("death-drop", "above"),
            ("footwork-basic", "excluded"),
            ("right-turn", "starts in open"),
            ("turn-to-closed", "counts"),
            ("nothing", "no move"),
        ]:
            with pytest.raises(PlanningError, match=why):
                swap_move(blueprint, middle, slug, **kwargs)
        with pytest.raises(PlanningError, match="finisher"):
            swap_move(blueprint, len(blueprint.entries) - 1, "basic", **kwargs)


class TestUnsatisfiableRequests:
    def test_advanced_dips_for_a_beginner(self):
        request = RoutineRequest(level="advanced", include={"dips": "lots", "body_waves": "lots"})
        phrases = song(16)
        blueprint = plan(request, phrases, "beginner")
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="beginner", request=request)
        notes = " ".join(blueprint.notes)
        assert "your beginner level" in notes
        assert "Every move with body waves is above" in notes

    def test_an_element_no_move_carries(self):
        moves = {slug: spec for slug, spec in SYNTHETIC.items() if "syncopation" not in spec.elements}
        blueprint = plan(RoutineRequest(include={"syncopation": "some"}), song(6), "advanced", moves=moves)
        assert any("syncopation" in note for note in blueprint.notes)

    def test_asked_for_and_excluded(self):
        request = RoutineRequest(include={"turns": "lots"}, exclude=["turns"], conflicts=["turns"])
        blueprint = plan(request, song(8), "beginner")
        assert not any("turns" in entry.elements for entry in blueprint.entries)
        assert any("leaves them out" in note for note in blueprint.notes)

    def test_excluding_every_finisher_ends_in_closed_with_a_note(self):
        request = RoutineRequest(exclude=["dips", "turns"])
        phrases = song(10)
        blueprint = plan(request, phrases, "beginner")
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="beginner", request=request)
        assert blueprint.entries[-1].end_position == "closed"
        assert any("finishing move" in note for note in blueprint.notes)

    def test_excluding_everything_that_ends_in_closed(self):
        moves = {slug: spec for slug, spec in SYNTHETIC.items() if spec.end_position != "closed"}
        phrases = song(6)
        blueprint = plan(RoutineRequest(), phrases, "beginner", moves=moves)
        assert end_tier(moves[blueprint.entries[-1].slug]) == END_ANY
        assert any("open position" in note for note in blueprint.notes)
        assert (
            check_blueprint(blueprint, moves=moves, phrases=phrases, dancer_level="beginner", request=RoutineRequest())
            == []
        )

    def test_a_lot_asked_of_few_moves_gets_a_note(self):
        # Only a 32-count open shine carries syncopation: four phrases that end on a finisher cannot hold it.
        request = RoutineRequest(include={"syncopation": "lots"})
        blueprint = plan(request, song(4), "advanced")
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=song(4), level="advanced", request=request)
        assert not any("syncopation" in entry.elements for entry in blueprint.entries)
        assert any("only 0 of 4 phrases" in note for note in blueprint.notes)

    def test_no_phrases_raises(self):
        with pytest.raises(PlanningError):
            plan(RoutineRequest(), [], "beginner")

    def test_no_allowed_moves_raises(self):
        only_advanced = {slug: spec for slug, spec in SYNTHETIC.items() if spec.level == "advanced"}
        with pytest.raises(PlanningError):
            plan(RoutineRequest(), song(4), "beginner", moves=only_advanced)


class TestDuration:
    @PROPERTY
    @given(duration=st.floats(1.0, 200.0), seed=st.integers(0, 50))
    def test_it_ends_on_the_phrase_boundary_nearest_the_duration(self, duration, seed):
        phrases = song(40)
        request = RoutineRequest(duration_s=duration)
        blueprint = plan(request, phrases, "intermediate", seed=seed)
        end = blueprint.entries[-1].end_s
        nearest = min((phrase.end_s for phrase in phrases), key=lambda boundary: abs(boundary - duration))
        assert end == pytest.approx(nearest)
        assert_hard_rules(blueprint, moves=SYNTHETIC, phrases=phrases, level="intermediate", request=request)

    def test_the_argument_overrides_the_request(self):
        phrases = song(40)
        blueprint = plan(RoutineRequest(duration_s=30.0), phrases, "beginner", duration_s=60.0)
        assert abs(blueprint.entries[-1].end_s - 60.0) <= PHRASE_S / 2

    def test_longer_than_the_song_covers_it_all_with_a_note(self):
        blueprint = plan(RoutineRequest(duration_s=600.0), song(10), "beginner")
        assert blueprint.phrase_count == 10
        assert any("only" in note for note in blueprint.notes)


@needs_real
def test_a_three_minute_song_plans_within_the_rules_with_every_seed():
    # Its speed is a figure of `manage.py bench_generate`, not a test: a shared machine's load decides timings.
    phrases = song(49)
    slugs = sorted(REAL)
    candidates = [[(slugs[(i * 7 + k) % len(slugs)], 0.8 - 0.02 * k) for k in range(20)] for i in range(49)]
    request = RoutineRequest(style="sensual", mood="romantic", include={"turns": "lots", "dips": "some"})
    for seed in range(5):
        blueprint = plan(request, phrases, "advanced", moves=REAL, candidates=candidates, seed=seed)
        assert_hard_rules(blueprint, moves=REAL, phrases=phrases, level="advanced", request=request)
