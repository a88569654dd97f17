from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Profile
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


class TestSignup:
    def _post(self, client, **overrides):
        data = {
            "username": "dancer1",
            "email": "Dancer1@Example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "skill_level": "intermediate",
            "preferred_style": "sensual",
        }
        data.update(overrides)
        return client.post(reverse("signup"), data)

    def test_it_works(self, client):
        response = self._post(client)
        assert response.status_code == 302
        assert response["Location"] == reverse("describe")
        user = get_user_model().objects.get(username="dancer1")
        assert user.profile.skill_level == "intermediate"
        assert user.profile.preferred_style == "sensual"
        # Signed in straight away.
        assert client.get(reverse("profile")).status_code == 200

    def test_it_rejects_a_taken_name(self, client, owner):
        response = self._post(client, username=owner.username)
        assert response.status_code == 200
        assert "already exists" in response.content.decode()
        assert get_user_model().objects.filter(username=owner.username).count() == 1

    def test_it_rejects_a_weak_password(self, client):
        response = self._post(client, password1="1234", password2="1234")
        assert response.status_code == 200
        assert "too short" in response.content.decode()
        assert not get_user_model().objects.filter(username="dancer1").exists()
        assert Profile.objects.count() == 0

    def test_it_rejects_mismatched_passwords(self, client):
        response = self._post(client, password2=PASSWORD + "x")
        assert response.status_code == 200
        assert "didn’t match" in response.content.decode() or "didn't match" in response.content.decode()
        assert not get_user_model().objects.filter(username="dancer1").exists()

    def test_it_rejects_an_unknown_level(self, client):
        response = self._post(client, skill_level="wizard")
        assert response.status_code == 200
        assert not get_user_model().objects.filter(username="dancer1").exists()


class TestLoginLogout:
    def test_login_and_logout(self, client, owner):
        response = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get(reverse("profile")).status_code == 200
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert client.get(reverse("profile")).status_code == 302

    def test_wrong_password_is_refused(self, client, owner):
        response = client.post(reverse("login"), {"username": owner.username, "password": "nope"})
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()


class TestPasswordChange:
    def test_it_works(self, owner_client, owner):
        new = PASSWORD + "-new"
        response = owner_client.post(
            reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 302
        owner.refresh_from_db()
        assert owner.check_password(new)

    def test_it_needs_the_old_password(self, owner_client, owner):
        new = PASSWORD + "-new"
        response = owner_client.post(
            reverse("password_change"), {"old_password": "wrong", "new_password1": new, "new_password2": new}
        )
        assert response.status_code == 200
        owner.refresh_from_db()
        assert owner.check_password(PASSWORD)


class TestProfile:
    def test_it_shows_and_saves(self, owner_client, owner):
        assert owner_client.get(reverse("profile")).status_code == 200
        response = owner_client.post(reverse("profile"), {"skill_level": "advanced", "preferred_style": "moderna"})
        assert response.status_code == 302
        owner.profile.refresh_from_db()
        assert (owner.profile.skill_level, owner.profile.preferred_style) == ("advanced", "moderna")

    def test_it_validates(self, owner_client, owner):
        response = owner_client.post(reverse("profile"), {"skill_level": "guru", "preferred_style": "moderna"})
        assert response.status_code == 200
        owner.profile.refresh_from_db()
        assert owner.profile.skill_level == "beginner"

    def test_it_needs_login(self, client):
        response = client.get(reverse("profile"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_superuser_without_profile_gets_one(self, client, django_user_model):
        admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
        Profile.objects.filter(user=admin).delete()
        client.force_login(admin)
        assert client.get(reverse("profile")).status_code == 200
        assert Profile.objects.filter(user=admin).exists()


@pytest.mark.parametrize("name", ["home", "login", "signup"])
def test_public_pages_render(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "Bachata Buddy" in response.content.decode()


@pytest.mark.parametrize("name", ["describe", "routine_list", "song_list", "progress", "profile"])
def test_private_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["describe", "routine_list", "song_list", "progress", "profile"])
def test_private_pages_render_with_navigation(owner_client, name):
    body = owner_client.get(reverse(name)).content.decode()
    for link in ("describe", "routine_list", "progress", "profile"):
        assert f'href="{reverse(link)}"' in body
    assert "Log out" in body
