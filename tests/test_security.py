"""Security headers (CSP on every answer), no inline scripts, and login attempts limited."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import RequestFactory
from django.urls import reverse

from bachata.middleware import SecurityHeadersMiddleware
from bachata.security import _counters
from tests.browser_support import chromium_available
from tests.factories import PASSWORD, make_playable_routine

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=\s*["']""", re.IGNORECASE)


def inline_scripts(html: str) -> list[str]:
    """<script> tags the CSP would block: no src, and not a JSON data block (json_script)."""
    return [
        attrs for attrs in SCRIPT_TAG.findall(html) if "src=" not in attrs and 'type="application/json"' not in attrs
    ]


class TestHeaders:
    def test_every_answer_carries_the_policy(self, client, db):
        for url in (reverse("home"), reverse("login"), "/health/live", reverse("api:routine_list")):
            policy = client.get(url)["Content-Security-Policy"]
            assert "default-src 'self'" in policy
            assert "script-src 'self' 'wasm-unsafe-eval';" in policy
            assert "frame-ancestors 'none'" in policy
            assert "object-src 'none'" in policy

    def test_the_policy_is_as_designed(self, client, db):
        response = client.get(reverse("home"))
        directives = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
        assert directives == {
            "default-src": "'self'",
            # Our own MediaPipe pose wasm compiles; JavaScript eval stays blocked.
            "script-src": "'self' 'wasm-unsafe-eval'",
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data: blob:",
            "media-src": "'self' blob:",
            "font-src": "'self'",
            "connect-src": "'self'",
            "frame-ancestors": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "object-src": "'none'",
        }
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        # The camera for this site's own pages (the player's Camera), no one else's; never the microphone.
        assert "camera=(self)" in response["Permissions-Policy"]
        assert "microphone=()" in response["Permissions-Policy"]

    def test_only_django_rq_admin_pages_allow_inline_scripts(self):
        assert "'unsafe-inline'" in SecurityHeadersMiddleware._policy_for("/admin/rq/queues/0/")
        assert "script-src 'self' 'wasm-unsafe-eval';" in SecurityHeadersMiddleware._policy_for("/admin/")

    def test_report_only_mode(self, client, db, settings):
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
        response = client.get(reverse("home"))
        assert "Content-Security-Policy" not in response
        assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]


class TestNoInlineScripts:
    def test_no_template_has_an_inline_script_or_handler(self):
        for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
            html = template.read_text()
            assert not inline_scripts(html), template
            assert not EVENT_HANDLER.search(html), template

    def test_the_admin_pages_need_none(self, client, staff, owner):
        client.force_login(staff)
        staff.is_superuser = True
        staff.save()
        make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT)
        for name in ("admin:index", "admin:choreography_routine_changelist", "admin:choreography_move_changelist"):
            response = client.get(reverse(name))
            assert response.status_code == 200, name
            html = response.content.decode()
            assert not inline_scripts(html), name
            assert not EVENT_HANDLER.search(html), name
        # The changelist's actions are wired by the admin's own static script.
        assert "admin/js/actions.js" in html


def _forget_failures(*, username: str = "", ip: str = "") -> None:
    user_counter, ip_counter = _counters(RequestFactory().post("/", REMOTE_ADDR=ip or "-"), username)
    keys = ([user_counter.key] if username else []) + ([ip_counter.key] if ip else [])
    caches["default"].delete_many([name for key in keys for name in (key, key + ":since")])


@pytest.fixture
def login(client, owner):
    """Post a login from an address of our own. The cache outlives a test: counts are forgotten before and after."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    usernames, addresses = {owner.username}, {address}
    _forget_failures(username=owner.username, ip=address)

    def post(username: str, password: str, *, ip: str = address):
        for seen, value, forget in ((usernames, username, {"username": username}), (addresses, ip, {"ip": ip})):
            if value not in seen:
                seen.add(value)
                _forget_failures(**forget)
        return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)

    yield post
    for username in usernames:
        _forget_failures(username=username)
    for ip in addresses:
        _forget_failures(ip=ip)


@pytest.mark.django_db
class TestLoginThrottle:
    def test_a_username_is_locked_after_five_failures(self, login, owner):
        for _ in range(5):
            assert login(owner.username, "wrong").status_code == 200
        response = login(owner.username, PASSWORD)
        # The right password is not even checked.
        assert response.status_code == 429
        assert "Too many failed attempts; try again in 15 minutes." in response.content.decode()
        assert 0 < int(response["Retry-After"]) <= 900
        assert "_auth_user_id" not in response.wsgi_request.session

    def test_the_lock_counts_the_username_not_the_spelling(self, login, owner):
        for _ in range(5):
            login(owner.username.upper() + " ", "wrong")
        assert login(owner.username, PASSWORD).status_code == 429

    def test_an_address_is_locked_after_twenty_failures(self, login, owner):
        for number in range(20):
            assert login(f"nobody-{number}", "wrong", ip="203.0.113.9").status_code == 200
        assert login(owner.username, PASSWORD, ip="203.0.113.9").status_code == 429
        # The dancer can still log in from elsewhere.
        assert login(owner.username, PASSWORD, ip="203.0.113.10").status_code == 302

    def test_a_successful_login_clears_the_count(self, login, client, owner):
        for _ in range(4):
            login(owner.username, "wrong")
        assert login(owner.username, PASSWORD).status_code == 302
        client.logout()
        for _ in range(4):
            assert login(owner.username, "wrong").status_code == 200
        assert login(owner.username, PASSWORD).status_code == 302

    def test_the_lock_ends_with_its_window(self, login, owner, settings, monkeypatch):
        settings.LOGIN_FAILURE_WINDOW_S = 60
        for _ in range(5):
            login(owner.username, "wrong")
        assert "try again in 1 minute." in login(owner.username, PASSWORD).content.decode()
        later = time.time() + 61
        monkeypatch.setattr("bachata.security.time.time", lambda: later)
        # The cache's own expiry is not mocked: the stored window start says the wait is over.
        from bachata.security import login_blocked_for

        request = login(owner.username, "wrong").wsgi_request
        assert login_blocked_for(request, owner.username) == 0

    def test_the_counts_live_in_the_shared_cache(self):
        backend = settings.CACHES["default"]["BACKEND"]
        assert backend.endswith("RedisCache" if settings.REDIS_URL else "LocMemCache")


# --------------------------------------------------------------------------- in a real browser

BROWSER_WAIT_S = 10.0


def _wait_until(page, expression: str) -> None:
    # Not page.wait_for_function: Playwright compiles its predicate in the page with eval, which this
    # policy refuses; page.evaluate runs through the DevTools protocol instead.
    deadline = time.monotonic() + BROWSER_WAIT_S
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _counts(message) -> bool:
    # The site has no favicon; the browser's request for one is not a page's problem.
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright")
def test_no_page_breaks_the_policy_in_a_browser(browser, client, owner, live_server):
    from choreography.models import Routine, Song

    ready = make_playable_routine(owner=owner, media_root=settings.MEDIA_ROOT)
    Song.objects.filter(pk=ready.song_id).update(
        analysis={**ready.song.analysis, "energy_curve": [[t, (t % 4) / 4] for t in range(13)]}
    )
    analysing = Song.objects.create(owner=owner, title="Still analysing", upload="songs/originals/a.m4a")
    building = Routine.objects.create(owner=owner, text="a smooth routine", song=ready.song, level="beginner")
    client.force_login(owner)
    # bypass_csp stays off: this test is about the policy (Playwright's string predicates would need it on).
    context = browser.new_context(base_url=live_server.url, bypass_csp=False)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if _counts(message) else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:

        def visit(url: str):
            response = page.goto(url)
            assert "script-src 'self'" in response.headers["content-security-policy"], url
            return response

        visit(reverse("home"))
        visit(reverse("describe"))
        page.click(".examples li")
        assert page.input_value("#id_text"), "describe.js fills the box from an example"
        visit(reverse("song_detail", args=[ready.song_id]))
        _wait_until(
            page,
            "document.getElementById('energy-chart').getContext('2d')"
            ".getImageData(0, 0, 900, 160).data.some((v) => v > 0)",
        )
        with page.expect_request(lambda req: req.url.endswith(reverse("song_status", args=[analysing.pk]))):
            visit(reverse("song_detail", args=[analysing.pk]))
        visit(reverse("routine_detail", args=[ready.pk]))
        _wait_until(page, "Boolean(window.bachataPlayer)")
        questions: list[str] = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        page.click("form[data-confirm] button")
        page.wait_for_timeout(300)
        assert questions == ["Delete this routine?"], "confirm.js asks before deleting"
        assert Routine.objects.filter(pk=ready.pk).exists()
        status_url = reverse("routine_status", args=[building.pk])
        with page.expect_request(lambda req: req.url.split("?")[0].endswith(status_url)):
            visit(reverse("routine_detail", args=[building.pk]))
        visit(reverse("progress"))
        assert problems == []

        # A check of the check: an inline script is refused, and the browser says so.
        page.evaluate(
            "document.body.appendChild(Object.assign(document.createElement('script'), "
            "{textContent: 'window.inlineRan = true'}))"
        )
        page.wait_for_timeout(200)
        assert page.evaluate("window.inlineRan") is None
        assert any("Content Security Policy" in problem for problem in problems)
    finally:
        # Leave the page first, so no request still reads the database when the test database is flushed.
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)
