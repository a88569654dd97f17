"""Accounts in headless Chromium: sign up with an email, forget the password, reset it from the link
in the mail, log in with the new one. The live server runs in this process, so Django's locmem
outbox (the test backend) holds the mail it sends."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.browser_support import chromium_available, sign_up
from tests.job_support import work_off_rq

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="needs Chromium at /usr/bin/chromium and Playwright"),
]

WAIT_MS = 15_000
PASSWORD = "salsa-is-not-bachata-42"
NEW_PASSWORD = "dominican-footwork-77"


def test_sign_up_forget_reset_and_log_in_again(browser, live_server):
    from django.contrib.auth import get_user_model

    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_up(page, username="dana", email="Dana@Example.com", password=PASSWORD)
        assert get_user_model().objects.get(username="dana").email == "dana@example.com"

        # Another browser, not logged in: the login page's "Forgot your password?".
        other = browser.new_context(base_url=live_server.url, bypass_csp=True)
        reset = other.new_page()
        reset.set_default_timeout(WAIT_MS)
        reset.goto(reverse("login"))
        mail.outbox = []
        reset.click("text=Forgot your password?")
        reset.wait_for_url(f"**{reverse('password_reset')}")
        reset.fill("#id_email", "DANA@example.com")
        reset.click("form button[type=submit]")
        reset.wait_for_url(f"**{reverse('password_reset_done')}")
        assert "Check your mail" in reset.content()
        work_off_rq()  # with Redis, the mail's job waits there

        (message,) = mail.outbox
        assert message.to == ["dana@example.com"]
        (link,) = re.findall(r"https?://\S+", message.body)
        reset.goto(link)
        reset.fill("#id_new_password1", NEW_PASSWORD)
        reset.fill("#id_new_password2", NEW_PASSWORD)
        reset.click("form button[type=submit]")
        reset.wait_for_url(f"**{reverse('password_reset_complete')}")

        reset.click("main >> text=Log in")
        reset.wait_for_url(f"**{reverse('login')}")
        reset.fill("#id_username", "dana")
        reset.fill("#id_password", NEW_PASSWORD)
        reset.click("form button[type=submit]")
        reset.wait_for_url(lambda url: reverse("login") not in url)
        reset.goto(reverse("profile"))
        assert "dana@example.com" in reset.content()

        # The first browser's session ended with the old password.
        page.goto(reverse("profile"))
        assert reverse("login") in page.url
        # The link cannot be used twice.
        reset.goto(link)
        assert "This link does not work" in reset.content()
        other.close()
    finally:
        context.close()
    assert errors == []
