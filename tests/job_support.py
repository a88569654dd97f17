"""Helpers for tests that run jobs: RQ's queue worked off in-process, the database other processes must use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote


def database_url_for_other_processes() -> str:
    """The database pytest-django created (test_<name>), as a DATABASE_URL for the processes a test starts
    (workers, a web server): they must use that one, not the configured one."""
    from django.db import connection

    conf = connection.settings_dict
    auth = quote(conf.get("USER") or "", safe="")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"], safe="")
    host = conf.get("HOST") or "127.0.0.1"
    port = f":{conf['PORT']}" if conf.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(conf['NAME'], safe='')}"


def work_off_rq(*queue_names: str) -> None:
    """With Redis configured, run what RQ holds on these queues (all by default) with a non-forking worker."""
    from bachata.queues import redis_configured

    if not redis_configured():
        return
    import django_rq
    from rq import SimpleWorker

    for name in queue_names or ("default", "gpu"):
        queue = django_rq.get_queue(name)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)


@contextmanager
def jobs_run_on_commit() -> Iterator[None]:
    """The `jobs` fixture for a helper without fixtures: the block's on-commit callbacks (job dispatch)
    run at its end, then whatever RQ holds."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    work_off_rq()
