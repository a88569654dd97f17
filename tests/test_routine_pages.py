"""The pages around the player, as a new dancer found them (issue 16, part 8): titles, the order of
My routines, when a move starts, Lock and Swap messages, renaming, and the progress page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from choreography.models import Move, MoveProgress, Routine
from choreography.services.practice import weeks_shown
from choreography.services.routines import title_from_text
from choreography.templatetags.bachata import clock
from tests.factories import make_routine

pytestmark = pytest.mark.django_db

LONG_REQUEST = (
    "a romantic bachata for beginners with lots of turns and a dip at the end of the chorus, "
    "slow enough to learn the footwork"
)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class TestTitles:
    def test_a_title_cut_short_shows_the_whole_request_on_hover(self, owner_client, owner):
        routine = make_routine(owner, title=title_from_text(LONG_REQUEST))
        routine.text = LONG_REQUEST
        routine.save(update_fields=["text"])
        assert routine.title == "a romantic bachata for beginners with lots of turns and a…"
        assert routine.full_title == LONG_REQUEST
        listed = owner_client.get(reverse("routine_list")).content.decode()
        assert f'title="{LONG_REQUEST}">{routine.title}</a>' in listed
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert f'<h1 title="{LONG_REQUEST}">{routine.title}</h1>' in page
        # The request is said once, below the player, not again under the heading.
        assert page.count(LONG_REQUEST + "”") == 1

    def test_a_title_of_the_dancers_own_is_its_own_full_title(self, owner):
        routine = make_routine(owner, title="Sunday…")
        assert routine.full_title == "Sunday…"


class TestMyRoutinesOrder:
    @pytest.fixture
    def routines(self, owner):
        made = {}
        for days_ago, title in ((3, "Bravo"), (1, "Charlie"), (2, "alpha")):
            routine = make_routine(owner, title=title)
            Routine.objects.filter(pk=routine.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
            made[title] = routine
        return made

    def _titles(self, client, **params) -> list[str]:
        response = client.get(reverse("routine_list"), params)
        return [str(routine) for routine in response.context["routines"]]

    def test_it_lists_the_newest_first(self, owner_client, routines):
        assert self._titles(owner_client) == ["Charlie", "alpha", "Bravo"]

    def test_it_sorts_oldest_first_or_by_title(self, owner_client, routines):
        assert self._titles(owner_client, sort="oldest") == ["Bravo", "alpha", "Charlie"]
        assert self._titles(owner_client, sort="title") == ["alpha", "Bravo", "Charlie"]

    def test_an_unknown_sort_is_newest_first(self, owner_client, routines):
        response = owner_client.get(reverse("routine_list"), {"sort": "created_at; drop table"})
        assert response.status_code == 200
        assert [str(r) for r in response.context["routines"]] == ["Charlie", "alpha", "Bravo"]
        assert '<option value="newest" selected>' in response.content.decode()


class TestMoveStart:
    def test_clock_reads_as_a_moment(self):
        assert clock(0.3) == "0:00.3"
        assert clock(75.26) == "1:15.3"
        assert clock(59.96) == "1:00.0"
        assert clock(None) == ""

    def test_the_move_list_says_when_a_move_starts(self, owner_client, owner):
        routine = make_routine(owner)
        first = routine.moves.get(order=0)
        first.start_s = 0.3
        first.save(update_fields=["start_s"])
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert "starts at 0:00.3" in page
        assert "· 0.3s" not in page


class TestLockAndSwap:
    def test_lock_keeps_the_place_and_says_nothing_about_a_video(self, owner_client, owner):
        routine = make_routine(owner)
        url = reverse("routine_move_lock", args=[routine.pk, 1])
        response = owner_client.post(url, {"locked": "1"})
        assert response["Location"] == reverse("routine_detail", args=[routine.pk]) + "#move-1"
        name = routine.moves.get(order=1).move.name
        assert _messages(response) == [f"Locked “{name}”: it stays where it is when you regenerate."]
        assert routine.moves.get(order=1).locked

        response = owner_client.post(url, {"locked": "0"})
        assert _messages(response)[-1:] == [f"Unlocked “{name}”: regenerating may put another move there."]
        assert not routine.moves.get(order=1).locked

    def test_the_page_shows_a_locked_move_in_words(self, owner_client, owner):
        routine = make_routine(owner)
        owner_client.post(reverse("routine_move_lock", args=[routine.pk, 0]), {"locked": "1"})
        page = owner_client.get(reverse("routine_detail", args=[routine.pk])).content.decode()
        assert '<span class="badge locked-badge">Locked</span>' in page
        assert "🔒" not in page

    def test_a_refused_swap_keeps_the_place_too(self, owner_client, owner):
        routine = make_routine(owner, status="running")
        response = owner_client.post(reverse("routine_move_swap", args=[routine.pk, 1]), {"slug": "x"})
        assert response["Location"].endswith("#move-1")
        assert _messages(response) == ["Wait until the routine is ready before changing it."]


class TestRename:
    def test_an_empty_name_is_refused_and_says_so(self, owner_client, owner):
        routine = make_routine(owner, title="Sunday practice")
        response = owner_client.post(reverse("routine_rename", args=[routine.pk]), {"title": "   "})
        assert _messages(response) == [
            "Not renamed: a routine needs a name (up to 200 characters). It is still “Sunday practice”."
        ]
        routine.refresh_from_db()
        assert routine.title == "Sunday practice"

    def test_a_name_is_trimmed_and_confirmed(self, owner_client, owner):
        routine = make_routine(owner)
        response = owner_client.post(reverse("routine_rename", args=[routine.pk]), {"title": "  Chorus turns "})
        assert _messages(response) == ["Renamed to “Chorus turns”."]


class TestProgressPage:
    def test_no_weeks_before_the_dancer_signed_up(self):
        today = dt.datetime(2026, 12, 9, 12, tzinfo=dt.UTC)  # a Wednesday
        joined = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)  # the Tuesday two weeks before
        assert weeks_shown(joined=joined, today=today, weeks=8) == [
            dt.date(2026, 11, 23),
            dt.date(2026, 11, 30),
            dt.date(2026, 12, 7),
        ]
        long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        assert len(weeks_shown(joined=long_ago, today=today, weeks=8)) == 8
        assert weeks_shown(joined=today, today=today, weeks=8) == [dt.date(2026, 12, 7)]

    def test_the_page_starts_with_the_week_of_sign_up(self, owner_client, owner):
        owner.date_joined = timezone.now()
        owner.save(update_fields=["date_joined"])
        response = owner_client.get(reverse("progress"))
        assert len(response.context["weeks"]) == 1

    def test_try_next_leaves_out_a_move_already_looped(self, owner_client, owner):
        looped = Move.objects.create(
            slug="basic-in-place",
            name="Basic In Place",
            description="d",
            level="beginner",
            counts=8,
            start_position="closed",
            end_position="closed",
            opener=True,
        )
        fresh = Move.objects.create(
            slug="side-basic",
            name="Side Basic",
            description="d",
            level="beginner",
            counts=8,
            start_position="closed",
            end_position="closed",
            opener=True,
        )
        MoveProgress.objects.create(user=owner, move=looped, loops=3, best_speed=0.75)
        suggestions = owner_client.get(reverse("progress")).context["suggestions"]
        assert fresh in suggestions
        assert looped not in suggestions
