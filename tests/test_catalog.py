"""The curated move catalog: valid data, enough variety per level, holds that connect."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from choreography import vocab
from choreography.catalog.data import (
    CATALOG_PATH,
    catalog_version,
    load_catalog,
    moves_up_to,
    position_graph,
    unreachable_positions,
)
from choreography.domain import MoveSpec
from choreography.errors import CatalogError


@pytest.fixture(scope="module")
def moves() -> list[MoveSpec]:
    return load_catalog()


def test_it_loads_enough_moves_at_every_level(moves):
    assert len(moves) >= 60
    per_level = {level: sum(1 for move in moves if move.level == level) for level in vocab.LEVELS}
    assert all(count >= 15 for count in per_level.values()), per_level


def test_every_move_is_valid(moves):
    slugs = [move.slug for move in moves]
    assert len(set(slugs)) == len(slugs)
    assert len({move.name for move in moves}) == len(moves)
    for move in moves:
        assert move.level in vocab.LEVELS
        assert move.counts in vocab.MOVE_COUNTS
        assert {move.start_position, move.end_position} <= set(vocab.POSITIONS)
        assert set(move.elements) <= set(vocab.ELEMENTS)
        assert move.styles and set(move.styles) <= set(vocab.STYLES)
        assert 0.0 <= move.energy <= 1.0
        assert move.tags
        # A learner-readable description of two or three sentences that names the counts.
        assert 2 <= move.description.count(". ") + 1 <= 4, move.slug
        assert any(char.isdigit() for char in move.description), move.slug


def test_every_element_and_style_appears(moves):
    assert {element for move in moves for element in move.elements} == set(vocab.ELEMENTS)
    assert {style for move in moves for style in move.styles} == set(vocab.STYLES)


def test_the_position_graph_is_connected_per_level(moves):
    for level in vocab.LEVELS:
        assert unreachable_positions(moves, level) == set(), level
        graph = position_graph(moves, level)
        assert "closed" in graph and "open" in graph


def test_each_position_has_an_exit_at_the_lowest_level_that_enters_it(moves):
    for position in vocab.POSITIONS:
        entering = [
            vocab.LEVEL_RANK[m.level] for m in moves if m.end_position == position and m.start_position != position
        ]
        if not entering:
            continue
        lowest = vocab.LEVELS[min(entering)]
        exits = [m for m in moves_up_to(moves, lowest) if m.start_position == position and m.end_position != position]
        assert exits, f"{position} is entered at {lowest} level but has no exit there"


def test_holds_match_the_move_names(moves):
    for move in moves:
        words = move.slug.split("-")
        if "entry" in words or "entrance" in words:
            assert move.end_position not in ("closed", "open"), move.slug
            assert move.end_position in move.slug.replace("-", "_") or move.end_position == "cuddle", move.slug
        if "exit" in words or "return" in words or "out" in words:
            assert move.end_position in ("closed", "open"), move.slug
    by_slug = {move.slug: move for move in moves}
    assert by_slug["hammerlock-entry"].end_position == "hammerlock"
    assert by_slug["shadow-entry"].end_position == "shadow"
    assert by_slug["cuddle-entry"].end_position == "cuddle"
    assert by_slug["hammerlock-exit"].end_position in ("open", "closed")


def test_every_level_has_openers_finishers_and_variety(moves):
    for level in vocab.LEVELS:
        available = moves_up_to(moves, level)
        openers = [m for m in available if m.opener]
        finishers = [m for m in available if m.finisher]
        assert openers and all(m.start_position in vocab.START_POSITIONS for m in openers)
        assert any(m.end_position == "closed" for m in finishers), level
        at_level = [m for m in moves if m.level == level]
        closed_loops = [m for m in at_level if m.start_position == m.end_position == "closed"]
        open_loops = [m for m in at_level if m.start_position == m.end_position == "open"]
        assert len(closed_loops) >= 4 and len(open_loops) >= 4, level
        # A basic in every style, so a routine of any style has somewhere to breathe.
        for style in vocab.STYLES:
            assert any("basic" in m.tags and style in m.styles for m in available), (level, style)
    beginner_finishers = [m for m in moves if m.level == "beginner" and m.finisher]
    assert any("dips" in m.elements for m in beginner_finishers)
    assert any("turns" in m.elements and m.end_position == "closed" for m in beginner_finishers)


def test_the_catalog_version_is_stable_and_follows_the_data(moves):
    assert catalog_version(moves) == catalog_version(list(reversed(moves)))
    changed = [MoveSpec.from_dict({**moves[0].to_dict(), "energy": 0.99})] + moves[1:]
    assert catalog_version(changed) != catalog_version(moves)


# Bad data ------------------------------------------------------------------------------
def _good_entry(slug: str = "test-move") -> dict:
    return {
        "slug": slug,
        "name": "Test Move",
        "description": "On 1-2-3 the leader steps. On 5-6-7 he steps back.",
        "level": "beginner",
        "counts": 8,
        "start_position": "closed",
        "end_position": "closed",
        "elements": [],
        "styles": ["traditional"],
        "energy": 0.4,
        "opener": False,
        "finisher": False,
        "tags": ["basic"],
    }


def _write(tmp_path: Path, entries: list) -> Path:
    path = tmp_path / "bad_moves.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def _set(key: str, value) -> Callable[[dict], None]:
    return lambda entry: entry.__setitem__(key, value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("level", "expert"), "unknown level"),
        (_set("start_position", "tango_hold"), "unknown start_position"),
        (_set("end_position", "floor"), "unknown end_position"),
        (_set("elements", ["turns", "backflips"]), "unknown element"),
        (_set("styles", ["salsa"]), "unknown style"),
        (_set("counts", 12), "invalid counts"),
        (_set("energy", 1.5), "energy"),
        (_set("colour", "red"), "unknown field"),
        (lambda entry: entry.pop("end_position"), "missing field"),
    ],
)
def test_it_refuses_bad_entries_naming_the_file_and_the_entry(tmp_path, mutate, expected):
    bad = _good_entry("broken-move")
    mutate(bad)
    path = _write(tmp_path, [_good_entry("fine-move"), bad])
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message
    assert "broken-move" in message and "#1" in message
    assert expected in message


def test_it_refuses_a_duplicate_slug(tmp_path):
    path = _write(tmp_path, [_good_entry("same-move"), _good_entry("other-move"), _good_entry("same-move")])
    with pytest.raises(CatalogError, match=r"bad_moves\.json.*#2.*same-move.*duplicate slug"):
        load_catalog(path)


def test_it_refuses_a_bad_slug_naming_the_index(tmp_path):
    path = _write(tmp_path, [_good_entry("Bad Slug!")])
    with pytest.raises(CatalogError, match=r"bad_moves\.json: entry #0.*bad slug"):
        load_catalog(path)


def test_it_refuses_a_file_that_is_not_a_list_of_moves(tmp_path):
    path = tmp_path / "bad_moves.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(path)
    path.write_text(json.dumps({"slug": "x"}), encoding="utf-8")
    with pytest.raises(CatalogError, match="JSON list"):
        load_catalog(path)


def test_a_good_file_round_trips(tmp_path):
    path = _write(tmp_path, [_good_entry()])
    [move] = load_catalog(path)
    assert move == MoveSpec.from_dict(_good_entry())
    assert CATALOG_PATH.name == "moves.json"


def test_unreachable_positions_finds_a_dead_end():
    def move(slug: str, start: str, end: str, level: str = "beginner") -> MoveSpec:
        return MoveSpec(
            slug=slug, name=slug, description="", level=level, counts=8, start_position=start, end_position=end
        )

    catalog = [
        move("open-break", "closed", "open"),
        move("back", "open", "closed"),
        move("into-shadow", "open", "shadow"),
    ]
    assert unreachable_positions(catalog, "beginner") == {"shadow"}
    catalog.append(move("out-of-shadow", "shadow", "closed", level="intermediate"))
    assert unreachable_positions(catalog, "beginner") == {"shadow"}
    assert unreachable_positions(catalog, "intermediate") == set()


# Arm paths ------------------------------------------------------------------------------
def _styled_entry(paths: list) -> dict:
    return {**_good_entry("styled-move"), "elements": ["arm_styling"], "arm_paths": paths}


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ([{"path": "backflip", "who": "follower", "hand": "left", "counts": [1, 3]}], "unknown path"),
        ([{"path": "free_arm", "who": "teacher", "hand": "left", "counts": [1, 3]}], "who must be one of"),
        ([{"path": "free_arm", "who": "leader", "hand": "third", "counts": [1, 3]}], "hand must be one of"),
        ([{"path": "free_arm", "who": "leader", "hand": "left", "counts": [1, 9]}], "counts must be a list"),
        ([{"path": "free_arm", "who": "leader", "hand": "left", "counts": [5, 3]}], "counts must rise"),
        ([{"path": "free_arm", "who": "leader", "hand": "left", "counts": [5]}], "spans two counts"),
        ([{"path": "hair_comb", "who": "follower", "hand": "right", "counts": [4, 8]}], "before the move's last"),
        ([{"path": "hand_change", "who": "leader", "hand": "right", "counts": [4]}], "who must be follower"),
        ([{"path": "hand_change", "who": "follower", "hand": "right", "counts": [1]}], "the count before it"),
        ([{"path": "behind_back", "who": "leader", "hand": "right", "counts": [5, 7]}], "who must be follower"),
        ([{"path": "behind_back", "who": "follower", "hand": "right", "counts": [5, 8]}], "before the move's last"),
        ([{"path": "behind_back", "who": "follower", "hand": "right", "counts": [5]}], "spans two counts"),
        ([{"path": "sweep", "who": "leader", "hand": "left", "counts": [3, 5, 7]}], "spans two counts"),
        ([{"path": "free_arm", "who": "leader", "hand": "left"}], "exactly counts, hand, path, who"),
        ({"path": "free_arm"}, "must be a list"),
    ],
)
def test_it_refuses_bad_arm_paths(tmp_path, paths, expected):
    path = _write(tmp_path, [_styled_entry(paths)])
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert "styled-move" in str(caught.value) and expected in str(caught.value)


def test_arm_paths_belong_to_arm_styling(tmp_path):
    entry = {**_styled_entry([{"path": "free_arm", "who": "leader", "hand": "right", "counts": [5, 7]}])}
    entry["elements"] = []
    with pytest.raises(CatalogError, match="add the arm_styling element"):
        load_catalog(_write(tmp_path, [entry]))


def test_arm_paths_round_trip_and_stay_out_of_moves_without_them(tmp_path):
    paths = [{"path": "hand_change", "who": "follower", "hand": "right", "counts": [4, 8]}]
    [styled, plain] = load_catalog(_write(tmp_path, [_styled_entry(paths), _good_entry()]))
    assert styled.to_dict()["arm_paths"] == paths
    assert MoveSpec.from_dict(styled.to_dict()) == styled
    # A move without arm paths keeps its data (and so its clip's hash) as it was.
    assert "arm_paths" not in plain.to_dict()


def test_a_sweep_may_be_a_single_count(tmp_path):
    paths = [{"path": "sweep", "who": "leader", "hand": "left", "counts": [4]}]
    [styled] = load_catalog(_write(tmp_path, [_styled_entry(paths)]))
    assert styled.arm_paths[0].counts == (4,)
