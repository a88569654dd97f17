"""Helpers for the headless-Chromium tests: the system browser and a logged-in context.

The routine they play is built from rows (tests/factories.make_playable_routine) over a small real
MP4 (tests/media_factory.write_test_video), so the player tests do not depend on the generation pipeline.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
# Never download a browser: the system Chromium, headless, with nothing reaching the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    """The system Chromium and Playwright's Python package are both installed."""
    return os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright") is not None


# For the camera tests only: a fake camera (a moving test pattern) that the page may use without asking.
# The two window sizes the pages are checked at, and where the screenshots the tests write go.
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SCREENS = Path(settings.BASE_DIR) / "var" / "screens"


FAKE_CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@contextmanager
def chromium(extra_args: list[str] | None = None) -> Iterator[object]:
    """A headless system Chromium (Playwright sync API), closed afterwards; `extra_args` add to CHROMIUM_ARGS."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = CHROMIUM_ARGS + list(extra_args or [])
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def logged_in_context(browser, *, client, user, base_url: str, viewport: dict | None = None):
    """A browser context carrying the session cookie of `user` (from Django's test client)."""
    from django.conf import settings

    client.force_login(user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Playwright's wait_for_function evaluates its condition with eval, which our CSP refuses;
    # the policy itself is checked with the bypass off in tests/test_security.py.
    context = browser.new_context(
        base_url=base_url, viewport=viewport or {"width": 1280, "height": 800}, bypass_csp=True
    )
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": base_url}])
    return context


@contextmanager
def player_page(browser, *, client, user, base_url: str, path: str, ready: str, timeout_ms: int) -> Iterator[object]:
    """A signed-in page on `path` once the JS condition `ready` holds; its uncaught errors collect in
    page.js_errors. Closed (and its context) afterwards."""
    context = logged_in_context(browser, client=client, user=user, base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    page.goto(path)
    page.wait_for_function(ready, timeout=timeout_ms)
    try:
        yield page
    finally:
        page.goto("about:blank")
        context.close()
        time.sleep(0.3)


def sign_up(page, *, username: str, email: str, password: str) -> None:
    """Sign up through the page, as a new dancer would; the site then asks for their first routine."""
    from django.urls import reverse

    page.goto(reverse("signup"))
    page.fill("#id_username", username)
    page.fill("#id_email", email)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"**{reverse('describe')}")
