"""The API token on the profile page (issue 16 part 8): shown to its dancer, renewed on request; the old
key stops working at once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _api_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(reverse("api:profile")).status_code


def test_a_dancer_without_a_token_can_create_one(owner_client, owner):
    page = owner_client.get(reverse("profile")).content.decode()
    assert "No API token yet" in page and "Create a token" in page
    response = owner_client.post(reverse("api_token_renew"))
    assert response.status_code == 302 and response["Location"].endswith("#api-token")
    key = Token.objects.get(user=owner).key
    assert key in owner_client.get(reverse("profile")).content.decode()
    assert _api_status(key) == 200


def test_renew_replaces_the_token_and_the_old_one_stops_working(owner_client, owner, stranger):
    old = Token.objects.create(user=owner).key
    others = Token.objects.create(user=stranger).key
    assert old in owner_client.get(reverse("profile")).content.decode()
    assert _api_status(old) == 200

    owner_client.post(reverse("api_token_renew"))

    new = Token.objects.get(user=owner).key
    assert new != old
    page = owner_client.get(reverse("profile")).content.decode()
    assert new in page and old not in page and "the old one no longer works" in page
    assert _api_status(old) == 401
    assert _api_status(new) == 200
    # Another dancer's token is theirs alone, and never on this page.
    assert _api_status(others) == 200 and others not in page


def test_renew_needs_a_post_and_a_login(owner_client):
    from django.test import Client

    assert owner_client.get(reverse("api_token_renew")).status_code == 405
    response = Client().post(reverse("api_token_renew"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
