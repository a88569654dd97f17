"""Per-user API throttles on the expensive operations: queuing a routine, uploading a song.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env API_THROTTLE_ROUTINE_CREATE,
API_THROTTLE_SONG_UPLOAD). Over the limit DRF answers 429 with a Retry-After header.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # redis-py is only needed where REDIS_URL is set
    RedisError = OSError  # type: ignore[misc,assignment]

_CACHE_ERRORS = (RedisError, OSError)


class _PerUserWriteThrottle(UserRateThrottle):
    """Counts only the writes (a GET on the same URL is free), per user, in the shared throttle cache."""

    methods: tuple[str, ...] = ("POST",)

    @property
    def cache(self):  # type: ignore[override]
        # Looked up per request so a test (or a settings override) that swaps CACHES is honoured.
        return caches["throttle" if "throttle" in settings.CACHES else "default"]

    def get_rate(self) -> str | None:
        # DRF reads the rates once at import into a class attribute; read them at call time instead.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if request.method not in self.methods:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except _CACHE_ERRORS as exc:
            # The throttle cache being down must not take the API down with it: let the request through.
            logger.warning("throttle %s could not reach its cache (%s); allowing the request", self.scope, exc)
            return True


class RoutineCreateThrottle(_PerUserWriteThrottle):
    scope = "routine_create"


class SongUploadThrottle(_PerUserWriteThrottle):
    scope = "song_upload"
