"""RQ worker classes for Bachata Buddy.

`WarmWorker` never forks (CUDA contexts do not survive a fork, and a forked child would reload
MiniLM and the index for every job) and pays the start-up costs once: what routines need before the
first job, librosa's JIT (for song analysis) in a background thread while jobs already run:
`manage.py rqworker gpu default --worker-class bachata.worker.WarmWorker`.

Before any work it sweeps the jobs a killed worker left behind (bachata.runner.sweep_stale_jobs).
BACHATA_SKIP_WARMUP=1 keeps the sweep but skips loading the models: for a worker that only serves
the "default" queue, and for tests that start real workers.
"""

from __future__ import annotations

import logging
import os
import threading

from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)


def warmup_skipped() -> bool:
    return os.environ.get("BACHATA_SKIP_WARMUP", "").strip().lower() in {"1", "true", "yes", "on"}


class WarmWorker(SimpleWorker):
    def work(self, *args, **kwargs):
        from bachata.runner import sweep_stale_jobs
        from choreography.services.files import scratch_sweep

        try:
            # Work a killed worker left behind is picked up (or failed with a reason) before new work,
            # and the scratch files it was writing are removed.
            report = {**sweep_stale_jobs(), "scratch_files_removed": scratch_sweep()}
            if any(report.values()):
                logger.info("start-up sweep: %s", report)
        except Exception:  # the periodic `manage.py sweep_jobs` tries again; the worker still works
            logger.exception("start-up sweep failed; continuing")
        if warmup_skipped():
            logger.info("BACHATA_SKIP_WARMUP is set: models load on the first job that needs them")
        else:
            from choreography.warmup import warm_up

            try:
                warm_up(songs=False)
            except Exception:  # a cold worker still works; it just pays the start-up cost on its first job
                logger.exception("warm-up failed; continuing cold")
            # librosa's JIT while the first jobs already run: a routine need not wait for what songs need.
            threading.Thread(target=_warm_up_songs, name="bachata-warm-up-songs", daemon=True).start()
        return super().work(*args, **kwargs)


def _warm_up_songs() -> None:
    from choreography.warmup import warm_up_songs

    try:
        warm_up_songs()
    except Exception:  # the first song's analysis pays for it instead
        logger.exception("warm-up of song analysis failed; continuing cold")
