"""Email on accounts: sign-up address, the change-by-link flow, password reset, log out everywhere,
the mail settings, and one real SMTP round trip on loopback (aiosmtpd)."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import email_change_token
from bachata.mail import parse_email_url
from tests.factories import PASSWORD
from tests.job_support import jobs_run_on_commit

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+")


def _link(message) -> str:
    """The one link in a mail's body, as a path the test client can open."""
    (url,) = LINK.findall(message.body)
    return re.sub(r"^https?://[^/]+", "", url)


def _with_email(user, email: str):
    user.email = email
    user.save(update_fields=["email"])
    return user


# --- settings -----------------------------------------------------------------------------------------------


class TestEmailUrl:
    def test_smtp_with_starttls(self):
        assert parse_email_url("smtp://me%40x.org:p%3Ass@mail.example.com:2525?tls=1") == {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "mail.example.com",
            "EMAIL_PORT": 2525,
            "EMAIL_HOST_USER": "me@x.org",
            "EMAIL_HOST_PASSWORD": "p:ss",
            "EMAIL_USE_TLS": True,
            "EMAIL_USE_SSL": False,
        }

    def test_defaults_and_implicit_tls(self):
        assert parse_email_url("smtp://localhost")["EMAIL_PORT"] == 25
        smtps = parse_email_url("smtps://u:p@host")
        assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"], smtps["EMAIL_USE_TLS"]) == (465, True, False)

    def test_other_backends(self):
        assert parse_email_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
        assert parse_email_url("file:///tmp/mails") == {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": "/tmp/mails",
        }

    @pytest.mark.parametrize("url", ["http://host", "smtp://", "mailto:me@x.org"])
    def test_nonsense_is_refused(self, url):
        with pytest.raises(ValueError):
            parse_email_url(url)

    def test_the_embedded_mode_prints_mails(self):
        import subprocess
        import sys

        env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "bachata.settings"}
        code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "django.core.mail.backends.console.EmailBackend"
        env["EMAIL_URL"] = "smtp://u:p@mail.example.com:587?tls=1"
        code = (
            "from django.conf import settings; print(settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS)"
        )
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "mail.example.com 587 True"


# --- sign-up and the address's uniqueness --------------------------------------------------------------------


def _signup(client, username: str, email: str):
    data = {
        "username": username,
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "skill_level": "beginner",
        "preferred_style": "traditional",
    }
    return client.post(reverse("signup"), data)


class TestSignupEmail:
    def test_the_address_is_stored_lowercased(self, client):
        assert _signup(client, "ana", "  Ana.Dancer@Example.COM ").status_code == 302
        assert get_user_model().objects.get(username="ana").email == "ana.dancer@example.com"

    def test_an_address_is_needed(self, client):
        response = _signup(client, "ana", "")
        assert response.status_code == 200
        assert not get_user_model().objects.filter(username="ana").exists()

    def test_a_taken_address_in_any_case_is_refused(self, client, owner):
        _with_email(owner, "olivia@example.com")
        response = _signup(client, "ana", "OLIVIA@example.com")
        assert response.status_code == 200
        assert "already exists" in response.content.decode()
        assert not get_user_model().objects.filter(username="ana").exists()

    def test_the_database_refuses_a_duplicate_whatever_its_case(self, owner, stranger):
        _with_email(owner, "olivia@example.com")
        stranger.email = "Olivia@Example.com"
        with pytest.raises(IntegrityError), transaction.atomic():
            stranger.save(update_fields=["email"])

    def test_many_accounts_may_have_no_address(self, owner, stranger, staff):
        assert get_user_model().objects.filter(email="").count() == 3


# --- changing the address by a confirmation link --------------------------------------------------------------


class TestEmailChange:
    def test_the_link_goes_to_the_new_address_and_the_old_one_is_told(self, owner_client, owner):
        _with_email(owner, "olivia@example.com")
        response = owner_client.post(reverse("email_change"), {"email": "Olivia.New@Example.com"})
        assert response.status_code == 302
        confirm, notice = mail.outbox
        assert confirm.to == ["olivia.new@example.com"]
        assert notice.to == ["olivia@example.com"]
        assert "olivia.new@example.com" in notice.body
        # Nothing changes until the link is opened (and its page's button pressed).
        owner.refresh_from_db()
        assert owner.email == "olivia@example.com"
        link = _link(confirm)
        assert owner_client.get(link).status_code == 200
        owner.refresh_from_db()
        assert owner.email == "olivia@example.com"
        assert owner_client.post(link).status_code == 302
        owner.refresh_from_db()
        assert owner.email == "olivia.new@example.com"
        # The link is used up.
        assert owner_client.post(link).status_code == 400

    def test_an_account_without_an_address_adds_one_the_same_way(self, owner_client, owner):
        owner_client.post(reverse("email_change"), {"email": "olivia@example.com"})
        (confirm,) = mail.outbox
        assert Client().post(_link(confirm)).status_code == 302  # works from another browser too
        owner.refresh_from_db()
        assert owner.email == "olivia@example.com"

    def test_an_expired_link_changes_nothing(self, owner_client, owner, settings):
        owner_client.post(reverse("email_change"), {"email": "olivia@example.com"})
        settings.EMAIL_CHANGE_TIMEOUT_S = -1
        response = owner_client.post(_link(mail.outbox[0]))
        assert response.status_code == 400
        assert "expired" in response.content.decode()
        owner.refresh_from_db()
        assert owner.email == ""

    def test_a_forged_link_changes_nothing(self, owner_client, owner):
        token = email_change_token(owner, "evil@example.com")
        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        assert owner_client.post(reverse("email_change_confirm", args=[forged])).status_code == 400
        owner.refresh_from_db()
        assert owner.email == ""

    def test_an_address_taken_meanwhile_is_refused_at_confirmation(self, owner_client, owner, stranger):
        owner_client.post(reverse("email_change"), {"email": "shared@example.com"})
        _with_email(stranger, "shared@example.com")
        assert owner_client.post(_link(mail.outbox[0])).status_code == 400
        owner.refresh_from_db()
        assert owner.email == ""

    def test_a_taken_address_is_refused_at_once(self, owner_client, stranger):
        _with_email(stranger, "sam@example.com")
        response = owner_client.post(reverse("email_change"), {"email": "SAM@example.com"})
        assert response.status_code == 400
        assert "already uses" in response.content.decode()
        assert mail.outbox == []


# --- password reset ------------------------------------------------------------------------------------------


def _ask_reset(client, email: str, ip: str = "10.0.0.1"):
    # The mail goes from a job queued on commit (accounts.jobs.password_reset_mail).
    with jobs_run_on_commit():
        return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


class TestPasswordReset:
    def test_the_login_page_links_to_it(self, client):
        assert reverse("password_reset") in client.get(reverse("login")).content.decode()

    def test_it_answers_the_same_whether_or_not_the_address_exists(self, client, owner):
        _with_email(owner, "olivia@example.com")
        known = _ask_reset(client, "Olivia@Example.com")
        unknown = _ask_reset(client, "nobody@example.com")
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
        assert known["Location"] == reverse("password_reset_done")
        # Only the real account gets a mail.
        (message,) = mail.outbox
        assert message.to == ["olivia@example.com"]

    def test_the_request_does_the_same_work_for_every_address(self, client, owner):
        from choreography.models import Job

        _with_email(owner, "olivia@example.com")
        # Before its job runs, a request has sent nothing and queued one job, whatever the address.
        for address in ("olivia@example.com", "nobody@example.com"):
            Job.objects.all().delete()
            response = client.post(reverse("password_reset"), {"email": address})
            assert response["Location"] == reverse("password_reset_done")
            assert list(Job.objects.values_list("func", "kwargs")) == [
                ("accounts.jobs.password_reset_mail", {"email": address, "domain": "testserver", "use_https": False})
            ]
        assert mail.outbox == []
        from bachata.runner import run_job

        run_job(Job.objects.get().pk)  # the unknown address: no mail
        assert mail.outbox == []
        assert _ask_reset(client, "olivia@example.com").status_code == 302
        assert [message.to for message in mail.outbox] == [["olivia@example.com"]]

    def test_the_link_sets_a_new_password_and_logs_out_every_other_session(self, client, owner):
        _with_email(owner, "olivia@example.com")
        other = Client()
        other.force_login(owner)
        token = Token.objects.create(user=owner)
        _ask_reset(client, "olivia@example.com")
        response = client.get(_link(mail.outbox[0]))  # Django moves the token into the session
        assert response.status_code == 302
        new = PASSWORD + "-reset"
        response = client.post(response["Location"], {"new_password1": new, "new_password2": new})
        assert response["Location"] == reverse("password_reset_complete")
        assert client.post(reverse("login"), {"username": owner.username, "password": new}).status_code == 302
        # The other browser is logged out; the old API token no longer works.
        assert other.get(reverse("profile")).status_code == 302
        assert not Token.objects.filter(key=token.key).exists()
        assert Token.objects.filter(user=owner).exists()

    def test_an_expired_link_does_not_work(self, client, owner, settings):
        _with_email(owner, "olivia@example.com")
        _ask_reset(client, "olivia@example.com")
        settings.PASSWORD_RESET_TIMEOUT = -1
        response = client.get(_link(mail.outbox[0]), follow=True)
        assert "does not work" in response.content.decode()

    def test_the_link_lasts_two_hours(self, settings):
        assert settings.PASSWORD_RESET_TIMEOUT == 2 * 60 * 60

    def test_it_is_throttled_per_address_alike_for_unknown_ones(self, client, owner, settings):
        _with_email(owner, "olivia@example.com")
        settings.PASSWORD_RESET_REQUEST_LIMITS = {"username": 2, "ip": 100}
        for email in ("olivia@example.com", "nobody@example.com"):
            statuses = [_ask_reset(client, email.upper() if i else email).status_code for i in range(3)]
            assert statuses == [302, 302, 429], email
        assert len(mail.outbox) == 2
        # Another address is not held back by those.
        assert _ask_reset(client, "third@example.com").status_code == 302

    def test_it_is_throttled_per_client_address(self, client, settings):
        settings.PASSWORD_RESET_REQUEST_LIMITS = {"username": 100, "ip": 3}
        statuses = [_ask_reset(client, f"n{i}@example.com").status_code for i in range(4)]
        assert statuses == [302, 302, 302, 429]
        response = _ask_reset(client, "other@example.com")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert _ask_reset(client, "other@example.com", ip="10.0.0.2").status_code == 302


# --- log out everywhere --------------------------------------------------------------------------------------


class TestLogOutEverywhere:
    def test_other_sessions_go_this_one_stays_and_the_token_rotates(self, owner_client, owner):
        other = Client()
        other.force_login(owner)
        token = Token.objects.create(user=owner)
        assert other.get(reverse("profile")).status_code == 200
        response = owner_client.post(reverse("logout_everywhere"))
        assert response["Location"] == reverse("profile")
        assert owner_client.get(reverse("profile")).status_code == 200
        assert other.get(reverse("profile")).status_code == 302
        assert not Token.objects.filter(key=token.key).exists()
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert api.get(reverse("api:profile")).status_code == 401
        # Logging in again works as before.
        other.force_login(owner)
        assert other.get(reverse("profile")).status_code == 200

    def test_it_needs_a_post(self, owner_client):
        assert owner_client.get(reverse("logout_everywhere")).status_code == 405


# --- the API -------------------------------------------------------------------------------------------------


class TestProfileApi:
    def test_it_shows_the_email(self, api, owner):
        _with_email(owner, "olivia@example.com")
        assert api.get(reverse("api:profile")).json()["email"] == "olivia@example.com"

    def test_a_new_email_waits_for_its_link(self, api, owner):
        response = api.patch(reverse("api:profile"), {"email": "Olivia@Example.com"}, format="json")
        assert response.status_code == 202
        assert response.json()["detail"].startswith("We sent a confirmation link to olivia@example.com")
        assert response.json()["profile"]["email"] == ""
        (confirm,) = mail.outbox
        assert Client().post(_link(confirm)).status_code == 302
        assert api.get(reverse("api:profile")).json()["email"] == "olivia@example.com"

    def test_a_taken_email_is_400(self, api, stranger):
        _with_email(stranger, "sam@example.com")
        response = api.patch(reverse("api:profile"), {"email": "sam@example.com"}, format="json")
        assert response.status_code == 400
        assert mail.outbox == []


# --- one real SMTP round trip --------------------------------------------------------------------------------


def test_a_reset_mail_over_real_smtp(client, owner, settings):
    """The reset mail through Django's SMTP backend to an SMTP server on loopback, read as a mail client would."""
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.original_content)
            return "250 OK"

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        _with_email(owner, "olivia@example.com")
        assert _ask_reset(client, "olivia@example.com").status_code == 302
    finally:
        controller.stop()
    (raw,) = received
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Reset your Bachata Buddy password"
    assert message["To"] == "olivia@example.com"
    body = message.get_body(preferencelist=("plain",)).get_content()
    (url,) = LINK.findall(body)
    path = re.sub(r"^https?://[^/]+", "", url)
    response = client.get(path)
    assert response.status_code == 302  # a valid link: Django moves its token into the session
    assert client.get(response["Location"]).context["validlink"]
