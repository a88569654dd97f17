"""Security helpers: the Content-Security-Policy header's text, and counting failed logins
(and, the same way, password-reset requests: kind="reset").

Failed logins are counted in Django's "default" cache (Redis where REDIS_URL is set, so every web
process sees the same counts), per username and per client address, in a fixed window that starts
at the first failure. Over either limit the login form answers 429 without checking the password.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import RedisError
except ImportError:  # redis-py is only needed where REDIS_URL is set
    RedisError = OSError  # type: ignore[misc,assignment]

# A cache that cannot be reached must not lock every dancer out: the attempt goes through
# (and is logged), as the API throttles do (bachata.throttles).
_CACHE_ERRORS = (RedisError, OSError)

DEFAULT_LOGIN_LIMITS = {"username": 5, "ip": 20}
DEFAULT_LOGIN_WINDOW_S = 15 * 60
DEFAULT_RESET_LIMITS = {"username": 3, "ip": 10}
DEFAULT_RESET_WINDOW_S = 60 * 60


def content_security_policy(directives: dict[str, list[str] | tuple[str, ...] | str]) -> str:
    """{"default-src": ["'self'"], ...} -> "default-src 'self'; ..." (an empty list: the bare directive)."""
    parts = []
    for name, sources in directives.items():
        values = [sources] if isinstance(sources, str) else list(sources)
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets (settings.CLIENT_IP_HEADER).

    For X-Forwarded-For the right-most address is taken: it is the one our own proxy appended; the
    ones before it come from the client and can be anything.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int


def _window_s(kind: str = "login-fail") -> int:
    if kind == "login-fail":
        return int(getattr(settings, "LOGIN_FAILURE_WINDOW_S", DEFAULT_LOGIN_WINDOW_S))
    return int(getattr(settings, "PASSWORD_RESET_REQUEST_WINDOW_S", DEFAULT_RESET_WINDOW_S))


def _counters(request: HttpRequest, username: str, kind: str = "login-fail") -> list[_Counter]:
    if kind == "login-fail":
        limits = {**DEFAULT_LOGIN_LIMITS, **getattr(settings, "LOGIN_FAILURE_LIMITS", {})}
    else:
        limits = {**DEFAULT_RESET_LIMITS, **getattr(settings, "PASSWORD_RESET_REQUEST_LIMITS", {})}
    # Hashed: a username may hold characters a cache key must not, and keys should not leak names.
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    address = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    return [_Counter(f"{kind}:user:{name}", limits["username"]), _Counter(f"{kind}:ip:{address}", limits["ip"])]


def _cache():
    return caches["default"]


def login_blocked_for(request: HttpRequest, username: str, kind: str = "login-fail") -> int:
    """Seconds until this username / address may try again; 0 when a login may be tried now.

    kind "reset" asks the same of password-reset requests (the name is then the address asked for).
    """
    counters = _counters(request, username, kind)
    cache = _cache()
    try:
        found = cache.get_many([key for counter in counters for key in (counter.key, counter.key + ":since")])
    except _CACHE_ERRORS as exc:
        logger.warning("login throttle could not reach its cache (%s); allowing the attempt", exc)
        return 0
    wait_s = 0
    for counter in counters:
        if int(found.get(counter.key) or 0) >= counter.limit:
            since = float(found.get(counter.key + ":since") or time.time())
            wait_s = max(wait_s, math.ceil(since + _window_s(kind) - time.time()))
    return wait_s


def login_failed(request: HttpRequest, username: str, kind: str = "login-fail") -> None:
    """Count one failed login (kind "reset": one reset request) for the username and the client's address."""
    cache, window_s = _cache(), _window_s(kind)
    try:
        for counter in _counters(request, username, kind):
            # add() only sets a missing key: the window runs from the first failure, and incr() is atomic.
            cache.add(counter.key + ":since", time.time(), window_s)
            cache.add(counter.key, 0, window_s)
            try:
                cache.incr(counter.key)
            except ValueError:  # expired between add() and incr()
                cache.set(counter.key, 1, window_s)
    except _CACHE_ERRORS as exc:
        logger.warning("login throttle could not record a failure (%s)", exc)


def login_succeeded(request: HttpRequest, username: str) -> None:
    """A successful login clears the username's count (the address's count stays)."""
    user_counter = _counters(request, username)[0]
    try:
        _cache().delete_many([user_counter.key, user_counter.key + ":since"])
    except _CACHE_ERRORS as exc:
        logger.warning("login throttle could not clear a count (%s)", exc)


def wait_message(wait_s: int) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return f"Too many failed attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}."
