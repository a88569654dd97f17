"""Site-wide middleware: security headers on every answer, and a friendly 503 when a dependency is down.

SecurityHeadersMiddleware sends Content-Security-Policy (settings.CONTENT_SECURITY_POLICY, with
per-path relaxations in CONTENT_SECURITY_POLICY_PATHS) and Permissions-Policy. Django's own
SecurityMiddleware sends X-Content-Type-Options and Referrer-Policy; XFrameOptionsMiddleware
sends X-Frame-Options for the browsers that predate frame-ancestors.

OutageMiddleware turns "the database or Redis cannot be reached" raised by a view into 503 with a
Retry-After header: an HTML page a dancer can read, or {"error": ...} under /api/. Nothing here
touches the database: the page is built from a string, not from a template that would ask for
request.user.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.html import escape

from bachata.security import content_security_policy

logger = logging.getLogger(__name__)

try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # redis-py is only needed where REDIS_URL is set

    class RedisConnectionError(Exception):  # type: ignore[no-redef]
        pass

    class RedisTimeoutError(Exception):  # type: ignore[no-redef]
        pass


DATABASE_ERRORS = (OperationalError, InterfaceError)
QUEUE_ERRORS = (RedisConnectionError, RedisTimeoutError)

RETRY_AFTER_S = 30
DATABASE_MESSAGE = "We can't reach our database right now. Nothing you saved is lost; please try again in a minute."
QUEUE_MESSAGE = "We can't reach our job queue right now. Nothing you saved is lost; please try again in a minute."


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = self._policy_for(request.path)
        if policy:
            report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
            header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
            # A view that set its own policy knows better.
            response.headers.setdefault(header, policy)
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions:
            response.headers.setdefault("Permissions-Policy", permissions)
        return response

    @staticmethod
    def _policy_for(path: str) -> str:
        directives = dict(getattr(settings, "CONTENT_SECURITY_POLICY", {}))
        if not directives:
            return ""
        for pattern, overrides in getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", {}).items():
            if re.match(pattern, path):
                directives.update(overrides)
        return content_security_policy(directives)


class OutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_for(request, exception)


def outage_for(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """The 503 answer to a database or queue outage (None for any other exception). Views reach it through
    OutageMiddleware; a middleware that reads the database before any view, through answers_outages."""
    if isinstance(exception, DATABASE_ERRORS):
        message = DATABASE_MESSAGE
    elif isinstance(exception, QUEUE_ERRORS):
        message = QUEUE_MESSAGE
    else:
        return None
    # The traceback still goes to the log: "no such table" is an OperationalError too.
    logger.error(
        "outage answering %s: %s: %s", request.path, exception.__class__.__name__, exception, exc_info=exception
    )
    # With DEBUG on (a developer's machine) say what it was: "no such table" means "run migrate".
    detail = f"{exception.__class__.__name__}: {exception}" if settings.DEBUG else ""
    return outage_response(request, message, detail=detail)


def answers_outages(call: Callable) -> Callable:
    """For the __call__ of a middleware that reads the database before any view runs: an outage there
    answers 503 (outage_for), any other exception goes on up. Django turns an exception raised between
    middlewares into a 500 before OutageMiddleware could see it, so such a middleware needs this."""

    @functools.wraps(call)
    def guarded(middleware, request: HttpRequest) -> HttpResponse:
        try:
            return call(middleware, request)
        except Exception as exc:
            response = outage_for(request, exc)
            if response is None:
                raise
            return response

    return guarded


def outage_response(request: HttpRequest, message: str, *, detail: str = "") -> HttpResponse:
    if request.path.startswith("/api/"):
        body = {"error": message, "detail": detail} if detail else {"error": message}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        html = _outage_page(message, detail=detail)
        response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


def _outage_page(message: str, *, detail: str = "") -> str:
    try:
        stylesheet = static("css/site.css")
    except ValueError:  # a manifest storage whose manifest is missing: the page still reads fine unstyled
        stylesheet = settings.STATIC_URL + "css/site.css"
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Back in a moment · Bachata Buddy</title>
  <link rel="stylesheet" href="{escape(stylesheet)}">
</head>
<body>
  <header class="topbar"><a class="brand" href="/">💃 Bachata Buddy</a></header>
  <main class="container">
    <section class="card narrow">
      <h1>Back in a moment</h1>
      <p>{escape(message)}</p>
      {f'<pre class="muted">{escape(detail)}</pre>' if detail else ""}
      <p><a class="btn" href="">Try again</a></p>
    </section>
  </main>
</body>
</html>
"""
