from __future__ import annotations

from django.conf import settings
from django.db import models

from choreography.vocab import LEVELS


class Profile(models.Model):
    LEVEL_CHOICES = [(level, level.capitalize()) for level in LEVELS]
    STYLE_CHOICES = [
        ("traditional", "Traditional / Dominican"),
        ("sensual", "Sensual"),
        ("moderna", "Moderna"),
    ]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    skill_level = models.CharField(max_length=16, choices=LEVEL_CHOICES, default="beginner")
    preferred_style = models.CharField(max_length=16, choices=STYLE_CHOICES, default="traditional")
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by "log out everywhere": a session that remembers an older number is logged out
    # (accounts.middleware.SessionGenerationMiddleware).
    session_generation = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user.username} ({self.skill_level}, {self.preferred_style})"


def profile_for(user) -> Profile:
    """The user's profile, created on first use for users made outside sign-up (createsuperuser)."""
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile
