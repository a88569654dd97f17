"""RQ worker classes for Bachata Buddy.

`WarmWorker` never forks (CUDA contexts do not survive a fork, and a forked child would reload
MiniLM and the index for every job) and pays the start-up costs once, before the first job:
`manage.py rqworker gpu default --worker-class bachata.worker.WarmWorker`.
"""

from __future__ import annotations

import logging

from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)


class WarmWorker(SimpleWorker):
    def work(self, *args, **kwargs):
        from bachata.queues import sweep_stale_jobs
        from choreography.search import warm_up

        try:
            # Work a killed worker left behind is picked up (or failed with a reason) before new work.
            sweep_stale_jobs()
            warm_up()
        except Exception:  # a cold worker still works; it just pays the start-up cost on its first job
            logger.exception("warm-up failed; continuing cold")
        return super().work(*args, **kwargs)
