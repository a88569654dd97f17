"""bachata.runner and bachata.queues: a Job row before the job is queued; in-process or a real RQ worker."""

from __future__ import annotations

import os

import pytest
from django.db import transaction

from bachata.queues import redis_configured
from bachata.runner import enqueue, run_job
from choreography.models import Job
from tests.job_support import work_off_rq

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[dict] = []


def record_call(**kwargs) -> None:
    CALLS.append(kwargs)


def fail_call(**kwargs) -> None:
    raise ValueError("the input was bad: " + str(kwargs))


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def test_job_row_exists_before_dispatch_and_job_runs_after_commit():
    with transaction.atomic():
        job = enqueue(record_call, answer=42)
        # Inside the transaction nothing ran yet, but the row is there.
        assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
        assert CALLS == []
    work_off_rq()
    job.refresh_from_db()
    assert job.status == Job.Status.READY
    assert job.started_at and job.finished_at
    if not redis_configured():
        assert CALLS == [{"answer": 42}]


def test_nothing_is_queued_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(record_call, answer=1)
        raise RuntimeError("abort")
    work_off_rq()
    assert Job.objects.count() == 0
    assert CALLS == []


def test_a_failing_job_records_its_error():
    job = enqueue(fail_call, queue="gpu", x=1)
    work_off_rq()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "the input was bad" in job.error
    assert "ValueError" in job.traceback


def test_a_job_is_claimed_exactly_once():
    with transaction.atomic():
        job = enqueue(record_call, answer=7)
        # Another worker already took it.
        Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    work_off_rq()
    assert run_job(job.pk) == "skipped"
    assert CALLS == []


def test_unknown_queue_is_refused():
    with pytest.raises(ValueError, match="unknown queue"):
        enqueue(record_call, queue="nope")


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: RQ is not configured")
def test_a_real_rq_worker_runs_the_job():
    import django_rq

    job = enqueue(record_call, queue="gpu", answer=9)
    job.refresh_from_db()
    assert job.rq_job_id, "dispatch after commit must hand the job to RQ"
    queue = django_rq.get_queue("gpu")
    assert job.rq_job_id in queue.job_ids
    work_off_rq("gpu")
    job.refresh_from_db()
    assert job.status == Job.Status.READY


def _stale_running_job(subject, *, worker_losses: int = 0) -> Job:
    from django.utils import timezone

    job = Job.objects.create(
        func="tests.test_queues.record_call",
        queue="default",
        subject=subject,
        kwargs={"answer": 3},
        status=Job.Status.RUNNING,
        worker_losses=worker_losses,
    )
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timezone.timedelta(hours=1))
    return job


def _song_row(status: str):
    from choreography.models import Song

    return Song.objects.create(title="t", upload="songs/x.wav", status=status)


def test_the_sweep_requeues_a_job_whose_worker_died():
    from django.utils import timezone

    from bachata.runner import sweep_stale_jobs

    song = _song_row("running")
    job = _stale_running_job(song)
    fresh = Job.objects.create(func="tests.test_queues.record_call", status=Job.Status.RUNNING)
    Job.objects.filter(pk=fresh.pk).update(started_at=timezone.now())
    report = sweep_stale_jobs()
    assert report["requeued"] == 1
    work_off_rq()
    job.refresh_from_db()
    assert job.worker_losses == 1
    assert job.status == Job.Status.READY
    song.refresh_from_db()
    assert song.status == "ready"  # handed back by the sweep, claimed again by the job and finished with it
    assert Job.objects.get(pk=fresh.pk).status == Job.Status.RUNNING  # a job still in time is left alone


def test_the_sweep_fails_a_job_that_died_too_often():
    from bachata.runner import sweep_stale_jobs

    song = _song_row("running")
    job = _stale_running_job(song, worker_losses=1)
    assert sweep_stale_jobs()["failed"] == 1
    job.refresh_from_db()
    song.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert song.status == "failed"
    assert "worker stopped" in song.error
