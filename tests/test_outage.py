"""When the database or Redis is unreachable: a friendly 503 (HTML, or JSON under /api/), never a 500.

The database outage is real: for the length of a request the "default" connection is swapped for
one configured to reach nothing (PostgreSQL: port 1, which refuses; SQLite: a file in a folder that
does not exist), so the ORM fails exactly as it does when the server is down. The Redis outages
talk to a port where nothing listens.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import redis
from django.db import connections
from django.db.utils import load_backend
from django.http import JsonResponse
from django.urls import include, path, reverse

from bachata.runner import enqueue, sweep_stale_jobs
from choreography.models import Job

CLOSED_REDIS_URL = "redis://127.0.0.1:6390/0"
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: RQ is not configured")


def ping_closed_redis(request):
    redis.Redis.from_url(CLOSED_REDIS_URL, socket_connect_timeout=1).ping()
    return JsonResponse({"ok": True})


def job_that_works(**kwargs) -> None:
    """A job with nothing to do: what matters is whether it reaches the queue."""


# Served by the tests that need a view talking to an unreachable Redis (pytest.mark.urls).
urlpatterns = [
    path("queue-ping/", ping_closed_redis),
    path("api/queue-ping/", ping_closed_redis),
    path("", include("bachata.urls")),
]


@contextmanager
def database_down():
    original = connections["default"]
    unreachable = dict(original.settings_dict)
    if original.vendor == "sqlite":
        unreachable["NAME"] = "/nonexistent-folder/bachata.sqlite3"
    else:
        unreachable.update(HOST="127.0.0.1", PORT="1")
    connections["default"] = load_backend(unreachable["ENGINE"]).DatabaseWrapper(unreachable, "default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = original


def _assert_friendly_page(response, text: str) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert text in page
    assert "Traceback" not in page and "OperationalError" not in page


@pytest.mark.django_db
class TestDatabaseDown:
    def test_a_page_answers_503_with_a_message(self, owner_client):
        with database_down():
            response = owner_client.get(reverse("routine_list"))
        _assert_friendly_page(response, "We can&#x27;t reach our database right now")
        # The security headers still go out on the outage page.
        assert "script-src 'self'" in response["Content-Security-Policy"]

    def test_the_api_answers_503_json(self, owner_client):
        with database_down():
            response = owner_client.get(reverse("api:routine_list"))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response.json() == {"error": response.json()["error"]}
        assert "can't reach our database" in response.json()["error"]

    def test_with_debug_on_it_says_what_failed(self, owner_client, settings):
        settings.DEBUG = True
        with database_down():
            response = owner_client.get(reverse("routine_list"))
        assert response.status_code == 503
        assert "OperationalError" in response.content.decode()

    def test_the_site_works_again_afterwards(self, owner_client):
        with database_down():
            assert owner_client.get(reverse("routine_list")).status_code == 503
        assert owner_client.get(reverse("routine_list")).status_code == 200


@pytest.mark.urls("tests.test_outage")
@pytest.mark.django_db
class TestRedisDown:
    def test_a_page_answers_503_with_a_message(self, client):
        _assert_friendly_page(client.get("/queue-ping/"), "We can&#x27;t reach our job queue right now")

    def test_the_api_answers_503_json(self, client):
        response = client.get("/api/queue-ping/")
        assert response.status_code == 503
        assert "can't reach our job queue" in response.json()["error"]


@needs_redis
@pytest.mark.django_db(transaction=True)
def test_a_job_committed_while_redis_is_down_runs_once_it_is_back(settings):
    import django_rq
    from rq import SimpleWorker

    real_queues = settings.RQ_QUEUES
    settings.REDIS_URL = CLOSED_REDIS_URL
    settings.RQ_QUEUES = {name: {**config, "URL": CLOSED_REDIS_URL} for name, config in real_queues.items()}
    job = enqueue(job_that_works, answer=5)
    job.refresh_from_db()
    # The row is committed and waits, saying why.
    assert job.status == Job.Status.QUEUED
    assert job.rq_job_id == ""
    assert "waiting for the job queue" in job.error

    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.RQ_QUEUES = real_queues
    assert sweep_stale_jobs(stale_after_s=0)["redispatched"] == 1
    queue = django_rq.get_queue("default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh_from_db()
    assert job.status == Job.Status.READY
    assert job.rq_job_id
