"""Health checks for load balancers, compose and orchestrators, mounted under /health/.

  /health/live            the process answers (no dependency is touched: a slow database must
                          not get a healthy web process restarted)
  /health/ready           the database answers, Redis answers (where REDIS_URL is set), MEDIA_ROOT
                          is writable
  /health/ready?worker=1  also: the FAISS index file of the current catalog exists

200 when every check passes, 503 otherwise; the JSON body names each check. Each check is cheap
(one query, one PING, one tiny file) so a probe every few seconds costs nothing.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 1.0


class CheckFailed(Exception):
    """A check's own verdict, with a message that is safe to show."""


def check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections["default"].vendor


def check_redis() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "not configured: jobs run in-process"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()
    return "ping ok"


def check_media() -> str:
    from choreography.services.files import media_storage, storage_is_local

    if not storage_is_local():
        # A bucket: one cheap request shows whether it answers (credentials, endpoint, bucket name).
        media_storage().exists(".health")
        return "bucket answers"
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    # Write and remove a tiny file: a read-only mount or a full disk shows here, not in an upload.
    with tempfile.NamedTemporaryFile(dir=root, prefix=".health-", delete=True) as probe:
        probe.write(b"ok")
        probe.flush()
    return "writable"


def check_index() -> str:
    from choreography.catalog_index import catalog_snapshot, index_path

    snapshot = catalog_snapshot()
    if not snapshot.moves:
        return "the catalog has no move with a ready clip yet: nothing to index"
    path = index_path(snapshot.version)
    if not path.exists():
        raise CheckFailed(f"no index for catalog version {snapshot.version}; a worker builds it when it starts")
    return f"catalog version {snapshot.version}, {len(snapshot.moves)} moves"


def _run(check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except CheckFailed as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # a health check reports every failure; it must never answer 500 itself
        logger.warning("health check %s failed: %s: %s", check.__name__, exc.__class__.__name__, exc)
        # Messages can carry host names: the details go to the log, the class name to the public body.
        detail, ok = (f"{exc.__class__.__name__}: {exc}" if settings.DEBUG else exc.__class__.__name__), False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _answer(checks: dict[str, dict]) -> JsonResponse:
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return _answer({"process": {"ok": True, "detail": "answering", "ms": 0.0}})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": check_database, "redis": check_redis, "media": check_media}
    if request.GET.get("worker") in ("1", "true", "yes"):
        checks["index"] = check_index
    return _answer({name: _run(check) for name, check in checks.items()})


# Probes are often configured without the trailing slash: answer both, redirect neither.
urlpatterns = [
    re_path(r"^live/?$", live, name="health_live"),
    re_path(r"^ready/?$", ready, name="health_ready"),
]
