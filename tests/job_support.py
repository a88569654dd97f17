"""Running what RQ holds, in-process, for tests that queue jobs with Redis configured."""

from __future__ import annotations


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
