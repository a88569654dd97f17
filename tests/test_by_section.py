"""Choreography by section (issue 15 parts 4 and 7): combinations per section, repeated with the
chorus, calm verses and a big mambo, no mechanical loops, reasons about the place in the song,
and the song's form in the blueprint, the routine page and the API.

The songs are the structured songs' forms (choreography.music.evaluation.STRUCTURED_SONGS) laid on
plain phrases, each section's phrases as loud as its kind of music: the planner's part, without audio.
"""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from django.urls import reverse

from choreography.domain import Phrase, RoutineRequest
from choreography.intent import parse_request
from choreography.music.evaluation import STRUCTURED_SONGS
from choreography.planner import Blueprint, PlannedMove, check_blueprint, plan_routine
from choreography.planner.form import (
    combination_similarity,
    form_figures,
    loop_counts,
    moves_by_part,
    part_of_phrases,
    song_form,
)
from tests.planner_support import FIRST_DOWNBEAT_S, PHRASE_S, real_catalog

CATALOG = real_catalog()
needs_catalog = pytest.mark.skipif(CATALOG is None, reason="the demo catalog is not there")
LOUDNESS = {"intro": 0.3, "verse": 0.45, "chorus": 0.7, "chorus_even": 0.5, "mambo": 0.95, "break": 0.15, "outro": 0.3}
LEVELS = ("beginner", "intermediate", "advanced")
TEXTS = ("", "a smooth sensual routine with body waves and hip rolls", "energetic dominican with footwork, no dips")


def structured(name: str) -> tuple[list[Phrase], list[dict]]:
    """A structured song's phrases and its true sections, as the analysis JSON has them."""
    form = STRUCTURED_SONGS[name][3]
    phrases: list[Phrase] = []
    sections: list[dict] = []
    first_of_label: dict[str, int] = {}
    for index, (kind, count) in enumerate(form):
        label = kind.split("_")[0]
        repeat_of = first_of_label.get(label) if label not in ("intro", "outro") else None
        first_of_label.setdefault(label, index)
        start_s = FIRST_DOWNBEAT_S + len(phrases) * PHRASE_S
        sections.append(
            {
                "label": label,
                "start_s": start_s,
                "end_s": start_s + count * PHRASE_S,
                "first_phrase": len(phrases),
                "phrases": count,
                "repeat_of": repeat_of,
            }
        )
        for _ in range(count):
            start = FIRST_DOWNBEAT_S + len(phrases) * PHRASE_S
            beats = tuple(start + beat * PHRASE_S / 8 for beat in range(8))
            phrases.append(Phrase(start_s=start, end_s=start + PHRASE_S, energy=LOUDNESS[kind], beats=beats))
    return phrases, sections


def plans():
    """(song, level, text, phrases, sections, request, blueprint) over the structured songs."""
    for name in STRUCTURED_SONGS:
        phrases, sections = structured(name)
        for level in LEVELS:
            for text in TEXTS:
                request = parse_request(text, profile_level=level) if text else RoutineRequest()
                blueprint = plan_routine(
                    request=request,
                    phrases=phrases,
                    dancer_level=level,
                    candidates=None,
                    moves=CATALOG,
                    sections=sections,
                )
                yield name, level, text, phrases, sections, request, blueprint


@pytest.fixture(scope="module")
def planned():
    if CATALOG is None:
        pytest.skip("the demo catalog is not there")
    return list(plans())


@needs_catalog
def test_every_hard_rule_holds(planned):
    for name, level, text, phrases, _, request, blueprint in planned:
        problems = check_blueprint(blueprint, moves=CATALOG, phrases=phrases, dancer_level=level, request=request)
        assert not problems, (name, level, text, problems)


@needs_catalog
def test_a_repeated_chorus_dances_the_first_chorus_combination(planned):
    same, other = [], []
    for name, level, text, _, sections, _, blueprint in planned:
        parts = song_form(sections)
        grouped = moves_by_part(blueprint.entries, parts)
        choruses = [i for i, part in enumerate(parts) if part.label == "chorus"]
        verses = [i for i, part in enumerate(parts) if part.label == "verse"]
        for index in choruses[1:]:
            if not parts[index].last_return and not text:
                # Nothing asked that the combination could be short of: the very same moves.
                assert grouped[index] == grouped[choruses[0]][: len(grouped[index])], (name, level, grouped)
            same.append(combination_similarity(grouped[choruses[0]], grouped[index]))
        other += [combination_similarity(grouped[c], grouped[v]) for c in choruses for v in verses]
    assert statistics.mean(same) >= 0.6
    assert statistics.mean(same) > statistics.mean(other) + 0.4


@needs_catalog
def test_the_mambo_is_bigger_than_the_verses(planned):
    for level in LEVELS:
        mambo, verse = [], []
        for _, at, _, phrases, sections, _, blueprint in planned:
            if at != level:
                continue
            parts = song_form(sections)
            owner = part_of_phrases(parts, len(phrases))
            for entry in blueprint.entries:
                label = parts[owner[entry.first_phrase]].label
                if label == "mambo":
                    mambo.append(CATALOG[entry.slug].energy)
                elif label == "verse":
                    verse.append(CATALOG[entry.slug].energy)
        assert statistics.mean(mambo) > statistics.mean(verse), level


@needs_catalog
def test_the_intro_finds_the_1_with_a_basic(planned):
    for name, level, text, _, sections, _, blueprint in planned:
        if sections[0]["label"] == "intro" and not text:
            assert blueprint.entries[0].reason == "intro: a basic to find the 1", (name, level)


@needs_catalog
def test_no_mechanical_loops_outside_repeated_sections(planned):
    for name, level, text, phrases, sections, _, blueprint in planned:
        parts = song_form(sections)
        owner = part_of_phrases(parts, len(phrases))
        repeating = [parts[owner[entry.first_phrase]].repeat_of is not None for entry in blueprint.entries]
        counts = loop_counts([entry.slug for entry in blueprint.entries], repeating)
        assert counts == {"ping_pong": 0, "repeated_pattern": 0}, (name, level, text)


def test_loop_counts_find_ping_pong_and_a_pattern_twice():
    assert loop_counts(["a", "b", "a", "b"]) == {"ping_pong": 1, "repeated_pattern": 0}
    assert loop_counts(["a", "b", "c", "a", "b", "c"]) == {"ping_pong": 0, "repeated_pattern": 1}
    # Inside a repeated section, the combination coming back is the point.
    assert loop_counts(["a", "b", "a", "b"], [False, False, True, True]) == {"ping_pong": 0, "repeated_pattern": 0}


@needs_catalog
def test_reasons_are_varied_and_about_the_place_in_the_song(planned):
    for name, level, text, _, _, _, blueprint in planned:
        reasons = [entry.reason for entry in blueprint.entries]
        assert max(Counter(reasons).values()) <= 2, (name, level, text, reasons)
        assert len(set(reasons)) >= 0.8 * len(reasons)
        for entry in blueprint.entries[:-1]:
            # Every move but the finish says where it is: its section's name or label leads.
            assert entry.reason.startswith((entry.section_name, entry.section)), entry.reason
        if not text:
            assert any(reason.startswith("chorus again: the combination from chorus 1") for reason in reasons)
            if any(section["label"] == "mambo" for section in blueprint.sections):
                assert any("the biggest moment of the song" in reason for reason in reasons)


@needs_catalog
def test_each_move_knows_its_section():
    phrases, sections = structured("with_break")
    blueprint = plan_routine(
        request=RoutineRequest(),
        phrases=phrases,
        dancer_level="intermediate",
        candidates=None,
        moves=CATALOG,
        sections=sections,
    )
    names = {entry.section_name for entry in blueprint.entries}
    assert {"intro", "verse 1", "chorus 1", "break", "verse 2", "chorus 2", "mambo", "chorus 3", "outro"} <= names
    chorus_two = next(entry for entry in blueprint.entries if entry.section_name == "chorus 2")
    assert (chorus_two.section, chorus_two.section_repeats) == ("chorus", "chorus 1")
    assert [section["name"] for section in blueprint.sections][:3] == ["intro", "verse 1", "chorus 1"]


@needs_catalog
def test_a_song_without_sections_plans_as_before():
    phrases, _ = structured("with_mambo")
    request = parse_request("a romantic bachata with lots of turns", profile_level="beginner")
    plain = plan_routine(request=request, phrases=phrases, dancer_level="beginner", candidates=None, moves=CATALOG)
    empty = plan_routine(
        request=request, phrases=phrases, dancer_level="beginner", candidates=None, moves=CATALOG, sections=[]
    )
    assert plain == empty
    assert all(entry.section == "" for entry in plain.entries) and plain.sections == []


def test_the_blueprint_round_trips_its_sections():
    entry = PlannedMove(
        slug="basic-step",
        name="Basic Step",
        level="beginner",
        elements=(),
        first_phrase=2,
        phrase_count=1,
        start_s=7.5,
        end_s=11.25,
        counts=8,
        start_position="closed",
        end_position="closed",
        reason="chorus again: the combination from chorus 1",
        section="chorus",
        section_name="chorus 2",
        section_repeats="chorus 1",
    )
    sections = song_form(structured("no_mambo")[1])
    blueprint = Blueprint(entries=[entry], notes=[], score=1.0, sections=[part.to_dict() for part in sections])
    assert Blueprint.from_dict(blueprint.to_dict()) == blueprint
    # A blueprint stored before sections loads with none.
    old = blueprint.to_dict()
    del old["sections"]
    for key in ("section", "section_name", "section_repeats"):
        del old["entries"][0][key]
    loaded = Blueprint.from_dict(old)
    assert loaded.sections == [] and loaded.entries[0].section_name == ""


def test_song_form_names_and_traces_repeats():
    parts = song_form(structured("with_mambo")[1])
    assert [part.name for part in parts] == [
        "intro",
        "verse 1",
        "chorus 1",
        "verse 2",
        "chorus 2",
        "mambo",
        "chorus 3",
        "outro",
    ]
    assert parts[6].repeat_name == "chorus 1" and parts[6].last_return and not parts[4].last_return
    assert parts[4].heading() == "Chorus 2 — repeats chorus 1"
    assert song_form([]) == []


def _with_sections(routine):
    rows = list(routine.moves.order_by("order"))
    rows[0].section, rows[0].section_name = "chorus", "chorus 1"
    rows[1].section, rows[1].section_name, rows[1].section_repeats = "chorus", "chorus 2", "chorus 1"
    for row in rows:
        row.save()
    return routine


@pytest.mark.django_db
def test_the_routine_page_groups_moves_by_section(owner_client, owner):
    from tests.factories import make_routine

    routine = _with_sections(make_routine(owner))
    page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
    assert '<h3 class="section-heading">Chorus 1</h3>' in page
    assert '<h3 class="section-heading">Chorus 2 — repeats chorus 1</h3>' in page
    assert page.index("Chorus 1</h3>") < page.index("Chorus 2 — repeats chorus 1</h3>")


@pytest.mark.django_db
def test_a_routine_from_before_sections_shows_no_headings(owner_client, owner):
    from tests.factories import make_routine

    routine = make_routine(owner)
    page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
    assert "section-heading" not in page


@pytest.mark.django_db
def test_the_api_gives_each_move_its_section(owner):
    from rest_framework.test import APIClient

    from tests.factories import make_routine

    routine = _with_sections(make_routine(owner))
    api = APIClient()
    api.force_authenticate(owner)
    moves = api.get(f"/api/routines/{routine.pk}/").json()["moves"]
    assert [(m["section"], m["section_name"], m["section_repeats"]) for m in moves] == [
        ("chorus", "chorus 1", ""),
        ("chorus", "chorus 2", "chorus 1"),
    ]


def test_form_figures_compare_choruses_with_choruses_and_verses():
    parts = song_form(structured("no_mambo")[1])  # intro 2, verse 4, chorus 4, verse 4, chorus 4, outro 2

    def entry(slug: str, first: int):
        return PlannedMove(
            slug=slug,
            name=slug,
            level="beginner",
            elements=(),
            first_phrase=first,
            phrase_count=1,
            start_s=0.0,
            end_s=1.0,
            counts=8,
            start_position="closed",
            end_position="closed",
            reason="",
        )

    slugs = [
        "b",
        "b",
        "v1",
        "v2",
        "v3",
        "v4",
        "c1",
        "c2",
        "c3",
        "c4",
        "v1",
        "v2",
        "v3",
        "v4",
        "c1",
        "c2",
        "c3",
        "x",
        "o",
        "o2",
    ]
    energy = {slug: 0.5 for slug in slugs}
    figures = form_figures([entry(slug, first) for first, slug in enumerate(slugs)], parts, energy)
    assert figures["chorus_to_chorus"] == [0.75] and figures["chorus_to_chorus_last"] == [True]
    assert figures["chorus_to_verse"] == [0.0, 0.0, 0.0, 0.0]
    assert figures["mambo_energy"] is None and figures["verse_energy"] == 0.5
