from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import profile_for


@transaction.atomic
def user_signup(*, username: str, password: str, skill_level: str, preferred_style: str):
    """Create a user and their profile together: both or neither."""
    user = get_user_model().objects.create_user(username=username, password=password)
    profile = profile_for(user)
    profile.skill_level = skill_level
    profile.preferred_style = preferred_style
    profile.save(update_fields=["skill_level", "preferred_style"])
    return user
