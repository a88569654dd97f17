"""bench_choreography: its request set is what it says, and a small run gives sane figures."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command

from choreography.intent import parse_request
from choreography.management.commands.bench_choreography import REQUESTS_PATH, load_requests
from tests.planner_support import real_catalog

needs_catalog = pytest.mark.skipif(real_catalog() is None, reason="the demo catalog is not there")


def test_the_request_set_holds_amounts_places_and_learning():
    items = load_requests(REQUESTS_PATH)
    kinds = Counter(item["kind"] for item in items)
    assert len(items) >= 40 and min(kinds[kind] for kind in ("amounts", "places", "learning", "moods")) >= 8
    for item in items:
        request = parse_request(item["text"], profile_level=item["level"], encoder=False)
        assert request.learning is (item["kind"] == "learning"), item["text"]
        if item["kind"] in ("amounts", "places"):
            assert request.amounts, item["text"]
        if item["kind"] == "places":
            assert any(amount.place for amount in request.amounts.values()), item["text"]


def test_a_limited_set_takes_every_kind():
    kinds = [item["kind"] for item in load_requests(REQUESTS_PATH, limit=8)]
    assert len(kinds) == 8 and set(kinds) == {"amounts", "places", "learning", "moods"}


@needs_catalog
def test_a_small_run_gives_sane_figures():
    out = io.StringIO()
    call_command("bench_choreography", "--json", "--form", "true", "--limit", "8", "--songs", "with_mambo", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["routines"] == 8 and figures["songs"] == ["with_mambo"]
    assert figures["hard_rules_broken"] == 0
    # Floors well under what the planner does (1.0 here when this test was written): a drop is a regression.
    assert 0.75 <= figures["amounts_met_share"] <= 1.0
    assert figures["dips_per_routine_unasked_max"] <= 1
    assert 0.0 <= figures["ending_on_a_dip_share"] <= 1.0
    assert figures["ping_pong"] == figures["repeated_pattern"] == 0
    assert figures["chorus_to_chorus_similarity"] > figures["chorus_to_verse_similarity"]
    assert figures["mambo_energy"] > figures["verse_energy"]
    assert figures["distinct_moves_mean"] > figures["learning"]["distinct_moves_mean"] >= 2
    assert figures["learning"]["twice_in_a_row_share"] >= 0.5
    assert 0 < figures["plan_ms_p50"] <= figures["plan_ms_p95"]
    for key in (
        "amounts_met_share_by_kind",
        "dips_per_routine_asked",
        "dips_per_routine_unasked",
        "ending_on_a_dip_share_unasked_by_mood",
        "routines_with_loops",
    ):
        assert key in figures


@needs_catalog
def test_the_table_names_its_figures():
    out = io.StringIO()
    call_command("bench_choreography", "--form", "true", "--limit", "4", "--songs", "no_mambo", stdout=out)
    text = out.getvalue()
    assert "amounts met" in text and "plan time p50" in text and "learning mode" in text
