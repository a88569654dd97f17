"""Claim once (bachata.runner.claim): two clicks that arrive together queue one job.

Two requests that arrive at once both read the routine as it was (failed, or ready) before either
queues it again. The tests below recreate that interleaving exactly: the first request, once it has
read the routine, lets a whole second click go through before it goes on. Only one of them may win
the claim; the other is told the routine is being rebuilt already, and no second job is recorded.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bachata.runner import run_job
from choreography.errors import ChoreographyError
from choreography.models import Job, MoveClip, Routine, Song
from choreography.services import catalog as catalog_services
from choreography.services import routines as routine_services

pytestmark = pytest.mark.django_db


def _routine(owner, *, status: str) -> Routine:
    song = Song.objects.create(owner=owner, title="Obsesión", upload="songs/originals/o.mp3", status="ready")
    return Routine.objects.create(owner=owner, text="turns", song=song, level="beginner", status=status)


def _jobs_for(row) -> int:
    return Job.objects.for_subject(row).count()


def second_click_meanwhile(monkeypatch, service_name: str, click) -> list:
    """Make the first call of a routine service run `click` (a whole second request) before it goes on, as
    a second request arriving at once would. Returns a list that holds the second request's response."""
    service = getattr(routine_services, service_name)
    second: list = []
    calls = []

    def first_then_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            second.append(click())
        return service(**kwargs)

    monkeypatch.setattr(routine_services, service_name, first_then_second)
    return second


class TestTwoClicksQueueOneJob:
    def test_try_again_on_the_page(self, owner, owner_client, monkeypatch):
        routine = _routine(owner, status="failed")
        url = reverse("routine_retry", args=[routine.pk])
        second = second_click_meanwhile(monkeypatch, "routine_retry", lambda: owner_client.post(url))
        first = owner_client.post(url, follow=True)
        assert (second[0].status_code, first.status_code) == (302, 200)
        assert _jobs_for(routine) == 1
        assert Routine.objects.get(pk=routine.pk).status == "queued"
        assert "This routine is being built again already." in first.content.decode()

    def test_regenerate_on_the_page(self, owner, owner_client, monkeypatch):
        routine = _routine(owner, status="ready")
        url = reverse("routine_regenerate", args=[routine.pk])
        second_click_meanwhile(monkeypatch, "routine_regenerate", lambda: owner_client.post(url))
        first = owner_client.post(url, follow=True)
        assert _jobs_for(routine) == 1
        assert "This routine is being rebuilt already." in first.content.decode()

    def test_regenerate_in_the_api(self, owner, monkeypatch):
        api = APIClient()
        api.force_authenticate(owner)
        routine = _routine(owner, status="failed")
        url = f"/api/routines/{routine.pk}/regenerate/"
        second = second_click_meanwhile(monkeypatch, "routine_regenerate", lambda: api.post(url))
        first = api.post(url)
        assert second[0].status_code == 202 and second[0].json()["status"] == "queued"
        assert first.status_code == 400
        assert first.json() == {"error": "This routine is being rebuilt already."}
        assert _jobs_for(routine) == 1

    def test_the_services_claim_even_with_a_stale_row(self, owner):
        routine = _routine(owner, status="failed")
        stale = Routine.objects.get(pk=routine.pk)  # read by a second request before the first wrote
        routine_services.routine_retry(routine=routine)
        with pytest.raises(ChoreographyError, match="being built again already"):
            routine_services.routine_retry(routine=stale)
        with pytest.raises(ChoreographyError, match="being rebuilt already"):
            routine_services.routine_regenerate(routine=stale)
        assert _jobs_for(routine) == 1

    def test_normalise_again_twice_queues_once(self, move):
        clip = MoveClip.objects.create(move=move, original="clips/originals/x.mp4", status="failed")
        stale = MoveClip.objects.get(pk=clip.pk)
        assert catalog_services.clip_normalise_again(clip=clip) is not None
        assert catalog_services.clip_normalise_again(clip=stale) is None
        assert _jobs_for(clip) == 1


class TestTheRunnerClaimsTheSubject:
    def test_a_job_whose_subject_is_not_waiting_for_it_does_nothing_and_says_why(self, owner):
        routine = _routine(owner, status="ready")
        job = Job.objects.create(func="choreography.jobs.routine_generate", subject=routine, kwargs={"routine_id": 0})
        assert run_job(job.pk) == "failed"
        job.refresh_from_db()
        assert (job.status, job.error) == ("failed", "Its routine was ready, not queued.")
        assert Routine.objects.get(pk=routine.pk).status == "ready"  # left alone

    def test_a_job_moves_its_subject_with_it(self, owner):
        routine = _routine(owner, status="queued")
        job = Job.objects.create(func="tests.test_claim_once.fails_unexpectedly", subject=routine)
        assert run_job(job.pk) == "failed"
        job.refresh_from_db()
        routine.refresh_from_db()
        assert (job.status, routine.status) == ("failed", "failed")
        assert job.error == "the disk is full of surprises"
        # A person reads plain words, never the exception's own text.
        assert routine.error == "Something went wrong (RuntimeError). Try again."
        assert routine.started_at == job.started_at and routine.finished_at == job.finished_at

    def test_only_module_level_functions_are_queued(self):
        from bachata.runner import enqueue

        with pytest.raises(ValueError, match="module-level function"):
            enqueue(lambda: None)


def fails_unexpectedly() -> None:
    raise RuntimeError("the disk is full of surprises")
