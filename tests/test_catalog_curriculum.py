"""What teachers do with the catalog: every element at every level where they teach it, the elements a
level does not get (said in the data), and named combinations whose moves exist and whose holds chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from choreography import vocab
from choreography.catalog.data import (
    COMBINATION_MOVES,
    CURRICULUM_PATH,
    SECTIONS,
    load_catalog,
    load_curriculum,
)
from choreography.errors import CatalogError


@pytest.fixture(scope="module")
def moves():
    return load_catalog()


@pytest.fixture(scope="module")
def curriculum(moves):
    return load_curriculum(moves=moves)


def test_the_catalog_has_something_for_every_level(moves):
    assert len(moves) >= 150
    per_level = {level: sum(1 for move in moves if move.level == level) for level in vocab.LEVELS}
    assert all(count >= 40 for count in per_level.values()), per_level


def test_every_element_is_at_every_level_where_teachers_teach_it(moves, curriculum):
    for level in vocab.LEVELS:
        at_level = {element for move in moves if move.level == level for element in move.elements}
        for element in vocab.ELEMENTS:
            # Exactly one of the two: a move of that level carries it, or the data says why not.
            assert (element in at_level) != (not curriculum.teaches(level, element)), (level, element)


def test_the_data_says_what_a_beginner_is_not_given(curriculum):
    withheld = {entry.element for entry in curriculum.not_taught if entry.level == "beginner"}
    assert {"hammerlock", "syncopation"} <= withheld
    assert all(len(entry.why.split()) >= 10 for entry in curriculum.not_taught)
    # What a beginner does get (BACHATA.md and the teachers' list).
    assert not withheld & {"footwork", "hip_rolls", "body_waves", "shadow_position", "turns", "dips"}


def test_a_beginner_gets_shines_hips_an_arm_wave_and_shadow(moves):
    beginner = [move for move in moves if move.level == "beginner"]
    assert any("footwork" in m.elements and "shine" in m.tags for m in beginner)
    assert any("hip" in m.slug and "accent" in m.slug for m in beginner)
    assert any("hip_rolls" in m.elements for m in beginner)
    assert any({"body_waves", "arm_styling"} <= set(m.elements) for m in beginner)
    assert any(m.start_position != "shadow" and m.end_position == "shadow" for m in beginner)
    assert any(m.start_position == "shadow" and m.end_position in ("open", "closed") for m in beginner)


def test_an_open_to_closed_turn_finishes_at_every_level(moves):
    for level in vocab.LEVELS:
        assert any(
            m.level == level
            and m.finisher
            and "turns" in m.elements
            and "dips" not in m.elements
            and (m.start_position, m.end_position) == ("open", "closed")
            for m in moves
        ), level


def test_combinations_chain_exist_and_sit_at_their_hardest_moves_level(moves, curriculum):
    by_slug = {move.slug: move for move in moves}
    assert {combination.level for combination in curriculum.combinations} == set(vocab.LEVELS)
    for combination in curriculum.combinations:
        steps = [by_slug[slug] for slug in combination.moves]
        assert COMBINATION_MOVES[0] <= len(steps) <= COMBINATION_MOVES[1]
        assert all(a.end_position == b.start_position for a, b in zip(steps, steps[1:])), combination.slug
        assert combination.level == max((m.level for m in steps), key=vocab.LEVEL_RANK.__getitem__)
        assert combination.counts == sum(m.counts for m in steps)
        assert combination.section in SECTIONS
        assert any(char.isdigit() for char in combination.description), combination.slug
    # The teachers' example: cross body lead, an inside turn into the hammerlock, the hammerlock exit.
    named = {combination.moves for combination in curriculum.combinations}
    assert ("cross-body-lead", "hammerlock-entry", "hammerlock-exit") in named


# Bad data ------------------------------------------------------------------------------
def _curriculum(**changes) -> dict:
    data = json.loads(CURRICULUM_PATH.read_text(encoding="utf-8"))
    data["combinations"] = [
        {
            "slug": "test-combination",
            "name": "Test Combination",
            "level": "beginner",
            "section": "derecho",
            "moves": ["side-basic", "open-break", "return-to-closed"],
            "description": "A side basic, the open break on 5-6-7 and back to closed hold.",
            **changes,
        }
    ]
    return data


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "curriculum.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_good_combination_loads(tmp_path, moves):
    [combination] = load_curriculum(_write(tmp_path, _curriculum()), moves).combinations
    assert combination.counts == 24 and combination.moves[1] == "open-break"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"moves": ["side-basic", "moonwalk"]}, "no such move(s) in the catalog: moonwalk"),
        ({"moves": ["side-basic", "follower-right-turn"]}, "ends in closed but follower-right-turn starts in open"),
        ({"moves": ["side-basic"]}, f"{COMBINATION_MOVES[0]} to {COMBINATION_MOVES[1]} moves"),
        ({"level": "advanced"}, "its hardest move is beginner"),
        ({"moves": ["open-break", "cross-body-lead"]}, "its hardest move is intermediate"),
        ({"section": "solo"}, "unknown section"),
        ({"tempo": 120}, "unknown field(s) tempo"),
    ],
)
def test_it_refuses_a_bad_combination_naming_the_file_and_the_entry(tmp_path, moves, changes, expected):
    path = _write(tmp_path, _curriculum(**changes))
    with pytest.raises(CatalogError) as caught:
        load_curriculum(path, moves)
    message = str(caught.value)
    assert str(path) in message and "test-combination" in message
    assert expected in message


def test_it_refuses_a_withheld_element_the_catalog_gives_that_level(tmp_path, moves):
    data = _curriculum()
    data["not_taught"].append({"level": "beginner", "element": "dips", "why": "Too risky for a first class."})
    with pytest.raises(CatalogError, match=r"not_taught #\d+: teachers do not give dips at beginner.*simple-dip"):
        load_curriculum(_write(tmp_path, data), moves)


def test_it_refuses_an_unknown_element_or_a_pair_listed_twice(tmp_path, moves):
    data = _curriculum()
    data["not_taught"].append({"level": "beginner", "element": "backflips", "why": "No."})
    with pytest.raises(CatalogError, match="unknown element 'backflips'"):
        load_curriculum(_write(tmp_path, data), moves)
    data["not_taught"][-1] = dict(data["not_taught"][0])
    with pytest.raises(CatalogError, match="listed twice"):
        load_curriculum(_write(tmp_path, data), moves)
