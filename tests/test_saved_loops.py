"""Saved loops: the service's rules, the API under a routine (/api/routines/<id>/loops/), and the pages.

The routine of tests/factories.make_routine has two moves, 0-3.75 s and 3.75-7.5 s: its video is 7.5 s.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from choreography.errors import ChoreographyError
from choreography.models import Routine, SavedLoop
from choreography.services import loops as loop_services
from choreography.services import routines as routine_services
from tests.factories import make_clip, make_routine

pytestmark = pytest.mark.django_db


def _loops_url(routine: Routine) -> str:
    return reverse("api:routine_loop_list", args=[routine.pk])


def _loop_url(loop: SavedLoop) -> str:
    return reverse("api:routine_loop_detail", args=[loop.routine_id, loop.pk])


class TestLoopService:
    def test_an_ab_loop_keeps_its_seconds(self, owner):
        routine = make_routine(owner)
        loop = loop_services.loop_create(routine=routine, name="  The turn  ", start_s=1.25, end_s=4.5)
        assert (loop.name, loop.kind, loop.start_s, loop.end_s) == ("The turn", "seconds", 1.25, 4.5)
        assert loop_services.loop_bounds(loop, loop_services.routine_move_times(routine)) == (1.25, 4.5)

    def test_a_move_loop_takes_its_seconds_from_its_moves(self, owner):
        routine = make_routine(owner)
        loop = loop_services.loop_create(routine=routine, name="Both", first_move=0, last_move=1)
        assert (loop.kind, loop.first_move, loop.last_move, loop.start_s) == ("moves", 0, 1, None)
        assert loop_services.loop_bounds(loop, loop_services.routine_move_times(routine)) == (0.0, 7.5)

    def test_one_move_needs_only_its_first(self, owner):
        loop = loop_services.loop_create(routine=make_routine(owner), name="Turn", first_move=1)
        assert (loop.first_move, loop.last_move) == (1, 1)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"name": "   ", "start_s": 1, "end_s": 2}, "Give the loop a name."),
            ({"name": "x" * 61, "start_s": 1, "end_s": 2}, "Keep the loop's name to 60 characters (this one has 61)."),
            ({"name": "a", "start_s": 2, "end_s": 1}, "The loop's end must come at least 0.3 s after its start."),
            ({"name": "a", "start_s": 2, "end_s": 2.1}, "The loop's end must come at least 0.3 s after its start."),
            ({"name": "a", "start_s": -1, "end_s": 2}, "The loop cannot start before the video does (0 s)."),
            ({"name": "a", "start_s": 1, "end_s": 9}, "The loop must end within the video, which is 7.5 s long."),
            ({"name": "a", "start_s": 1}, "The loop's end must be a number of seconds."),
            ({"name": "a", "start_s": float("nan"), "end_s": 2}, "The loop's start must be a number of seconds."),
            ({"name": "a", "first_move": 0, "last_move": 2}, "The routine's moves are numbered 0 to 1"),
            ({"name": "a", "first_move": 1, "last_move": 0}, "The loop's first move must come before its last one."),
            ({"name": "a", "start_s": 1, "end_s": 2, "first_move": 0}, "Save either seconds (start and end) or moves"),
            ({"name": "a"}, "Save either seconds (start and end) or moves"),
        ],
    )
    def test_it_refuses_in_a_dancers_words(self, owner, fields, message):
        routine = make_routine(owner)
        with pytest.raises(ChoreographyError) as refused:
            loop_services.loop_create(routine=routine, **fields)
        assert str(refused.value).startswith(message)
        assert not SavedLoop.objects.exists()

    def test_at_most_fifty_per_routine(self, owner):
        routine = make_routine(owner)
        SavedLoop.objects.bulk_create(
            SavedLoop(routine=routine, name=f"loop {i}", kind="seconds", start_s=0, end_s=1)
            for i in range(loop_services.MAX_LOOPS_PER_ROUTINE)
        )
        with pytest.raises(ChoreographyError, match="at most 50 saved loops"):
            loop_services.loop_create(routine=routine, name="one more", start_s=0, end_s=1)
        # Another routine has its own fifty.
        assert loop_services.loop_create(routine=make_routine(owner), name="fine", start_s=0, end_s=1)

    def test_a_routine_still_being_built_has_nothing_to_loop(self, owner):
        routine = make_routine(owner, status="queued")
        routine.moves.all().delete()
        with pytest.raises(ChoreographyError, match="Wait until the routine is ready"):
            loop_services.loop_create(routine=routine, name="a", start_s=0, end_s=1)

    def test_loops_stay_valid_when_a_move_is_swapped(self, owner):
        routine = make_routine(owner)
        make_clip("box-step")
        by_moves = loop_services.loop_create(routine=routine, name="Second", first_move=1, last_move=1)
        by_seconds = loop_services.loop_create(routine=routine, name="Middle", start_s=3.0, end_s=5.0)
        routine_services.routine_swap_move(routine=routine, order=1, slug="box-step")
        assert routine.moves.get(order=1).move.slug == "box-step"
        by_moves.refresh_from_db()
        by_seconds.refresh_from_db()
        times = loop_services.routine_move_times(routine)
        assert loop_services.loop_bounds(by_moves, times) == (3.75, 7.5)
        assert loop_services.loop_bounds(by_seconds, times) == (3.0, 5.0)

    def test_a_move_loop_whose_moves_are_gone_has_no_bounds(self, owner):
        routine = make_routine(owner)
        loop = loop_services.loop_create(routine=routine, name="Second", first_move=1)
        routine.moves.filter(order=1).delete()
        assert loop_services.loop_bounds(loop, loop_services.routine_move_times(routine)) is None

    def test_they_go_with_the_routine(self, owner):
        routine = make_routine(owner)
        loop_services.loop_create(routine=routine, name="a", start_s=0, end_s=1)
        kept = loop_services.loop_create(routine=make_routine(owner), name="b", start_s=0, end_s=1)
        routine_services.routine_delete(routine=routine)
        assert list(SavedLoop.objects.all()) == [kept]

    def test_rename_trims_and_refuses_empty(self, owner):
        loop = loop_services.loop_create(routine=make_routine(owner), name="a", start_s=0, end_s=1)
        assert loop_services.loop_rename(loop=loop, name=" Chorus turn ").name == "Chorus turn"
        with pytest.raises(ChoreographyError, match="Give the loop a name."):
            loop_services.loop_rename(loop=loop, name=" ")
        loop.refresh_from_db()
        assert loop.name == "Chorus turn"


class TestLoopApi:
    def test_create_list_rename_delete(self, api, owner):
        routine = make_routine(owner)
        url = _loops_url(routine)
        created = api.post(url, {"name": "Turn", "first_move": 1, "last_move": 1}, format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert (body["name"], body["kind"], body["start_s"], body["end_s"]) == ("Turn", "moves", 3.75, 7.5)
        assert created["Location"].endswith(body["url"])
        ab = api.post(url, {"name": "Intro", "start_s": 0.5, "end_s": 2}, format="json").json()
        assert (ab["kind"], ab["start_s"], ab["end_s"], ab["first_move"]) == ("seconds", 0.5, 2.0, None)

        listed = api.get(url)
        assert listed.status_code == 200
        assert [loop["name"] for loop in listed.json()] == ["Turn", "Intro"]

        renamed = api.patch(body["url"], {"name": "  Side turn "}, format="json")
        assert renamed.status_code == 200
        assert renamed.json()["name"] == "Side turn"

        assert api.delete(body["url"]).status_code == 204
        assert [loop["name"] for loop in api.get(url).json()] == ["Intro"]
        assert api.delete(body["url"]).status_code == 404

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"start_s": 0, "end_s": 1}, "name: Give the loop a name."),
            ({"name": "", "start_s": 0, "end_s": 1}, "name: Give the loop a name."),
            ({"name": "x" * 61, "start_s": 0, "end_s": 1}, "name: Keep the loop's name to 60 characters."),
            ({"name": "a", "start_s": "soon", "end_s": 1}, "start_s: The loop's start must be a number of seconds."),
            ({"name": "a", "first_move": -1}, "first_move: The routine's first move is 0."),
            ({"name": "a", "start_s": 5, "end_s": 1}, "The loop's end must come at least 0.3 s after its start."),
            ({"name": "a", "start_s": 0, "end_s": 60}, "The loop must end within the video, which is 7.5 s long."),
            ({"name": "a", "first_move": 5}, "The routine's moves are numbered 0 to 1: pick moves among them."),
        ],
    )
    def test_it_refuses_with_a_clear_message(self, api, owner, payload, message):
        routine = make_routine(owner)
        response = api.post(_loops_url(routine), payload, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == message
        assert not SavedLoop.objects.exists()

    def test_a_rename_to_nothing_is_refused(self, api, owner):
        loop = loop_services.loop_create(routine=make_routine(owner), name="Turn", start_s=0, end_s=1)
        response = api.patch(_loop_url(loop), {"name": "   "}, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "name: Give the loop a name."
        loop.refresh_from_db()
        assert loop.name == "Turn"

    def test_a_stranger_gets_404_and_changes_nothing(self, owner, stranger):
        from rest_framework.test import APIClient

        routine = make_routine(owner)
        loop = loop_services.loop_create(routine=routine, name="Turn", start_s=0, end_s=1)
        client = APIClient()
        client.force_authenticate(stranger)
        assert client.get(_loops_url(routine)).status_code == 404
        assert client.post(_loops_url(routine), {"name": "Mine", "start_s": 0, "end_s": 1}).status_code == 404
        assert client.patch(_loop_url(loop), {"name": "Mine"}, format="json").status_code == 404
        assert client.delete(_loop_url(loop)).status_code == 404
        # A loop of the owner's, reached under the stranger's own routine: missing too.
        theirs = make_routine(stranger)
        url = reverse("api:routine_loop_detail", args=[theirs.pk, loop.pk])
        assert client.delete(url).status_code == 404
        assert list(SavedLoop.objects.values_list("name", flat=True)) == ["Turn"]


class TestLoopPages:
    def test_the_owner_page_lists_them_with_save_and_delete(self, owner_client, owner):
        routine = make_routine(owner)
        loop_services.loop_create(routine=routine, name="Chorus turn", first_move=1)
        response = owner_client.get(reverse("routine_detail", args=[routine.pk]))
        html = response.content.decode()
        assert "Chorus turn" in html and "Save this loop" in html and "Delete Chorus turn" in html
        assert "Play all in order" in html
        player = response.context["player"]
        assert player["loops"][0]["name"] == "Chorus turn"
        assert (player["loops"][0]["start"], player["loops"][0]["end"]) == (3.75, 7.5)
        assert player["loopsUrl"] == _loops_url(routine)

    def test_the_share_link_shows_them_read_only(self, client, owner):
        routine = make_routine(owner)
        Routine.objects.filter(pk=routine.pk).update(shared=True)
        loop_services.loop_create(routine=routine, name="Intro <b>", start_s=0.5, end_s=2)
        response = client.get(reverse("shared_routine", args=[routine.share_token]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Intro &lt;b&gt;" in html and "Play all in order" in html
        assert "Save this loop" not in html and "delete-loop" not in html.split('id="saved-loop-template"')[0]
        player = json.loads(html.split('id="player-data" type="application/json">')[1].split("</script>")[0])
        assert player["loopsUrl"] == "" and [loop["name"] for loop in player["loops"]] == ["Intro <b>"]
        # The API stays the owner's: a visitor with the link cannot add one.
        assert client.post(_loops_url(routine), {"name": "x", "start_s": 0, "end_s": 1}).status_code in (401, 403)
