"""bachata.runner retries: a transient error is retried (RQ's Retry, or at once in-process); bad input is not."""

from __future__ import annotations

import os

import pytest

from bachata import queues, runner
from bachata.runner import enqueue, is_transient
from choreography import jobs
from choreography.errors import ChoreographyError, SongNotReadyYet
from choreography.models import Job, Routine, Song

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[dict] = []
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: RQ is not configured")


def flaky_call(*, failures: int, song_id: int | None = None, **kwargs) -> None:
    """Fails with a dropped connection `failures` times, then works. Like a service, it leaves its song's
    status to the runner, which must have found the row queued again and claimed it for every try."""
    CALLS.append(kwargs)
    if song_id is not None:
        assert Song.objects.get(pk=song_id).status == Song.Status.RUNNING, "a retry must find its row queued"
    if len(CALLS) <= failures:
        raise ConnectionResetError("connection reset by peer")


def bad_input_call(**kwargs) -> None:
    CALLS.append(kwargs)
    raise ChoreographyError("“Silence” has no beat to dance to.")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


@pytest.fixture
def in_process(settings, monkeypatch):
    settings.REDIS_URL = ""
    monkeypatch.setattr(queues, "IN_PROCESS_RETRY_PAUSES_S", (0, 0, 0))


@pytest.fixture
def rq_without_waits(settings):
    # RQ waits JOB_RETRY_INTERVALS seconds (with a scheduler) before a retry; at 0 it requeues at once,
    # so one burst worker runs every try.
    settings.JOB_RETRY_INTERVALS = [0]


def _work_off(queue_name: str = "default") -> None:
    import django_rq
    from rq import SimpleWorker

    queue = django_rq.get_queue(queue_name)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _song() -> Song:
    return Song.objects.create(owner=None, title="Flaky", upload="songs/originals/flaky.m4a")


class TestTransientErrors:
    def test_which_errors_are_transient(self):
        from django.db import OperationalError
        from redis.exceptions import ConnectionError, TimeoutError

        for exc in (ConnectionResetError(), TimeoutError(), ConnectionError(), OperationalError(), OSError(5, "EIO")):
            assert is_transient(exc), exc
        for exc in (FileNotFoundError(), PermissionError(), ChoreographyError("bad"), ValueError(), KeyError()):
            assert not is_transient(exc), exc

    def test_in_process_it_retries_until_it_works(self, in_process):
        song = _song()
        job = enqueue(flaky_call, subject=song, failures=2, song_id=song.pk)
        job.refresh_from_db()
        assert job.status == Job.Status.READY
        assert job.transient_retries == 2
        assert len(CALLS) == 3
        song.refresh_from_db()
        assert song.status == Song.Status.READY

    def test_in_process_it_gives_up_after_three_retries(self, in_process):
        job = enqueue(flaky_call, failures=10)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert job.transient_retries == 3
        assert len(CALLS) == 4
        assert "connection reset by peer" in job.error

    def test_in_process_bad_input_fails_once(self, in_process):
        job = enqueue(bad_input_call, x=1)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert job.error == "“Silence” has no beat to dance to."
        assert job.transient_retries == 0
        assert CALLS == [{"x": 1}]


@needs_redis
class TestRqRetries:
    def test_it_is_queued_with_backoff(self):
        import django_rq

        job = enqueue(flaky_call, failures=0)
        job.refresh_from_db()
        rq_job = django_rq.get_queue("default").fetch_job(job.rq_job_id)
        try:
            assert rq_job.retries_left == 3
            assert rq_job.retry_intervals == [5, 30, 120]
        finally:
            rq_job.delete()

    def test_a_transient_error_is_retried_by_a_real_worker(self, rq_without_waits):
        song = _song()
        job = enqueue(flaky_call, subject=song, failures=2, song_id=song.pk)
        job.refresh_from_db()
        assert job.rq_job_id
        _work_off()
        job.refresh_from_db()
        assert job.status == Job.Status.READY, job.error
        assert job.transient_retries == 2
        assert len(CALLS) == 3
        song.refresh_from_db()
        assert song.status == Song.Status.READY

    def test_a_transient_error_waits_for_the_scheduler(self):
        import django_rq
        from rq.registry import ScheduledJobRegistry

        job = enqueue(flaky_call, failures=5)
        queue = django_rq.get_queue("default")
        _work_off()
        job.refresh_from_db()
        # Back to queued, with its retry scheduled 5 s later (a worker started --with-scheduler picks it up).
        assert job.status == Job.Status.QUEUED
        assert job.transient_retries == 1
        assert "retrying after a temporary error" in job.error
        registry = ScheduledJobRegistry(queue=queue)
        assert job.rq_job_id in registry.get_job_ids()
        registry.remove(job.rq_job_id, delete_job=True)

    def test_bad_input_fails_once_and_is_not_retried(self, rq_without_waits):
        import django_rq

        job = enqueue(bad_input_call, x=2)
        job.refresh_from_db()
        _work_off()
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert job.error == "“Silence” has no beat to dance to."
        assert job.transient_retries == 0
        assert CALLS == [{"x": 2}]
        # RQ saw the job end normally: nothing was raised to it, so nothing is retried.
        assert django_rq.get_queue("default").fetch_job(job.rq_job_id).get_status() == "finished"


def _routine_on_a_song_still_analysed() -> Routine:
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user(username="early", password="x")
    song = Song.objects.create(owner=owner, title="Just uploaded", upload="songs/originals/early.mp3")
    return Routine.objects.create(owner=owner, text="turns", song=song, level="beginner")


class TestARoutineWaitsForItsSong:
    def test_the_error_asks_for_a_retry(self):
        assert is_transient(SongNotReadyYet("“Just uploaded” is still being analysed."))

    @needs_redis
    def test_it_goes_back_in_line_instead_of_failing(self):
        import django_rq
        from rq.registry import ScheduledJobRegistry

        routine = _routine_on_a_song_still_analysed()
        job = enqueue(jobs.routine_generate, queue="gpu", subject=routine, routine_id=routine.pk)
        # The gpu worker gets to the routine before the song's analysis has run.
        _work_off("gpu")
        job.refresh_from_db()
        routine.refresh_from_db()
        assert (routine.status, routine.error) == (Routine.Status.QUEUED, "")
        assert (job.status, job.transient_retries) == (Job.Status.QUEUED, 1)
        registry = ScheduledJobRegistry(queue=django_rq.get_queue("gpu"))
        assert job.rq_job_id in registry.get_job_ids()
        registry.remove(job.rq_job_id, delete_job=True)

    def test_it_fails_with_a_reason_when_the_song_never_gets_ready(self, in_process):
        routine = _routine_on_a_song_still_analysed()
        job = enqueue(jobs.routine_generate, queue="gpu", subject=routine, routine_id=routine.pk)
        job.refresh_from_db()
        routine.refresh_from_db()
        assert job.status == Job.Status.FAILED
        assert job.transient_retries == runner.MAX_TRANSIENT_RETRIES
        assert (routine.status, routine.error) == (Routine.Status.FAILED, "“Just uploaded” is still being analysed.")
