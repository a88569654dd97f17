"""The practice history page (issue 16 part 5): sessions by day, newest first, paged; only one's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from choreography import views
from choreography.services import practice as practice_services
from tests.factories import make_practice_session, make_routine

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _session(user, routine, started_at, **fields):
    session = make_practice_session(user, routine, **fields)
    session.started_at = started_at
    session.save(update_fields=["started_at"])
    return session


class TestHistoryPage:
    def test_it_groups_sessions_by_day_newest_first(self, owner_client, owner):
        routine = make_routine(owner, title="Friday turns")
        _session(owner, routine, NOON - dt.timedelta(days=1), seconds_practised=600)
        _session(owner, routine, NOON, seconds_practised=300, speeds_used={"0.5": 200, "1": 100, "_batches": [0]})
        _session(owner, routine, NOON + dt.timedelta(hours=2), seconds_practised=120, loops_per_move={"side-turn": 4})
        response = owner_client.get(reverse("history"))
        assert response.status_code == 200
        days = response.context["days"]
        assert [day["day"] for day in days] == [dt.date(2026, 11, 20), dt.date(2026, 11, 19)]
        assert [row["minutes"] for row in days[0]["sessions"]] == [2.0, 5.0]
        assert days[0]["minutes"] == 7.0
        assert days[0]["sessions"][1]["speeds"] == ["0.5x", "1x"]  # the bookkeeping key is no speed
        assert days[0]["sessions"][0]["loops"] == 4
        html = response.content.decode()
        assert "Friday, Nov 20, 2026" in html and "Thursday, Nov 19, 2026" in html
        assert html.index("Nov 20, 2026") < html.index("Nov 19, 2026")
        assert reverse("routine_detail", args=[routine.pk]) in html

    def test_timing_shows_where_the_camera_watched_and_a_dash_elsewhere(self, owner_client, owner):
        routine = make_routine(owner)
        _session(owner, routine, NOON, seconds_practised=60, timing_share=0.82)
        _session(owner, routine, NOON - dt.timedelta(hours=1), seconds_practised=60)
        html = owner_client.get(reverse("history")).content.decode()
        assert "82% on the beat" in html
        assert 'title="No camera this session">—' in html

    def test_another_dancers_sessions_are_never_shown(self, owner_client, owner, stranger):
        mine = make_routine(owner, title="My own routine")
        theirs = make_routine(stranger, title="Their secret routine")
        _session(owner, mine, NOON, seconds_practised=60)
        _session(stranger, theirs, NOON, seconds_practised=999)
        response = owner_client.get(reverse("history"))
        html = response.content.decode()
        assert "My own routine" in html
        assert "Their secret routine" not in html
        assert sum(len(day["sessions"]) for day in response.context["days"]) == 1

    def test_empty_history_says_how_to_start(self, owner_client):
        html = owner_client.get(reverse("history")).content.decode()
        assert "No practice yet" in html
        assert "<table" not in html

    def test_it_pages_through_many_sessions(self, owner_client, owner):
        routine = make_routine(owner)
        count = views.HISTORY_PAGE_SIZE + 3
        for back in range(count):
            _session(owner, routine, NOON - dt.timedelta(hours=back * 7), seconds_practised=60 + back)
        first = owner_client.get(reverse("history")).context
        second = owner_client.get(reverse("history") + "?page=2").context
        shown = [row for page in (first, second) for day in page["days"] for row in day["sessions"]]
        assert len(shown) == count
        started = [row["started_at"] for row in shown]
        assert started == sorted(started, reverse=True)
        assert len({(row["started_at"], row["minutes"]) for row in shown}) == count  # none twice
        assert second["page"].number == 2 and not second["page"].has_next()
        # A page number past the end shows the last page rather than an error.
        assert owner_client.get(reverse("history") + "?page=99").context["page"].number == 2

    def test_the_nav_links_to_it(self, owner_client):
        html = owner_client.get(reverse("home")).content.decode()
        assert f'href="{reverse("history")}">History</a>' in html


class TestMoveHistory:
    def test_best_speed_loops_and_timing_per_move_per_week(self, owner, settings):
        owner.date_joined = timezone.now() - dt.timedelta(weeks=20)
        owner.save(update_fields=["date_joined"])
        routine = make_routine(owner)
        now = timezone.now()
        last_week = now - dt.timedelta(weeks=1)
        _session(owner, routine, last_week, loops_per_move={"side-turn": 2}, move_speeds={"side-turn": 0.5})
        _session(
            owner,
            routine,
            now,
            loops_per_move={"side-turn": 3, "basic-step": 1},
            move_speeds={"side-turn": 0.75},
            timing_share=0.6,
        )
        _session(owner, routine, now, loops_per_move={"side-turn": 1}, move_speeds={"side-turn": 1.0}, timing_share=0.8)
        data = practice_services.move_history(user=owner, weeks=8)
        assert len(data["weeks"]) == 8
        turn = next(move for move in data["moves"] if move["slug"] == "side-turn")
        assert turn["name"] == "Side turn"
        assert turn["loops"][-2:] == [2, 4]
        assert turn["best_speed"][-2:] == [0.5, 1.0]
        assert turn["timing_share"][-2:] == [None, 0.7]
        assert turn["best_speed"][0] is None and turn["loops"][0] == 0
        assert data["moves"][0]["slug"] == "side-turn"  # most looped first

    def test_logging_keeps_each_sessions_best_speed_per_move(self, owner_client, owner):
        import json

        routine = make_routine(owner)
        url = reverse("practice_log", args=[routine.pk])
        for speed in (0.75, 0.5):
            payload = {"client_id": "visit", "seconds": 10, "move_speeds": {"side-turn": speed}}
            owner_client.post(url, data=json.dumps(payload), content_type="application/json")
        session = routine.practice_sessions.get()
        assert session.move_speeds == {"side-turn": 0.75}
