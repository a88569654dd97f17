from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Profile, profile_for
from choreography.errors import ChoreographyError


@transaction.atomic
def user_signup(*, username: str, password: str, skill_level: str, preferred_style: str):
    """Create a user and their profile together: both or neither."""
    user = get_user_model().objects.create_user(username=username, password=password)
    profile = profile_for(user)
    profile.skill_level = skill_level
    profile.preferred_style = preferred_style
    profile.save(update_fields=["skill_level", "preferred_style"])
    return user


@transaction.atomic
def profile_update(*, user, skill_level: str | None = None, preferred_style: str | None = None) -> Profile:
    """Change a dancer's level and/or style; routines already made keep the level they were made at."""
    profile = profile_for(user)
    levels = dict(Profile.LEVEL_CHOICES)
    styles = dict(Profile.STYLE_CHOICES)
    if skill_level is not None and skill_level not in levels:
        raise ChoreographyError(f"Unknown level {skill_level!r}; use one of: {', '.join(levels)}.")
    if preferred_style is not None and preferred_style not in styles:
        raise ChoreographyError(f"Unknown style {preferred_style!r}; use one of: {', '.join(styles)}.")
    changed = []
    if skill_level is not None:
        profile.skill_level = skill_level
        changed.append("skill_level")
    if preferred_style is not None:
        profile.preferred_style = preferred_style
        changed.append("preferred_style")
    if changed:
        profile.save(update_fields=changed)
    return profile
