from __future__ import annotations

from django.conf import settings
from django.db import models

from choreography.models import JobSubject, Status
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


class DataExport(JobSubject):
    """One "export my data" archive: built by a background job (accounts.jobs.data_export_build), offered
    for download until `expires_at`, then its file is swept (accounts.export.data_export_sweep)."""

    Status = Status

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    archive = models.FileField(blank=True, max_length=255)
    size_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.owner_id} [{self.status}]"


class FileToRemove(models.Model):
    """A stored file whose rows are already gone (a deleted account, an export swept): written in the same
    transaction as the deletion, removed from the storage after the commit, and by `manage.py sweep_jobs`
    where that removal failed. A crash between the commit and the removal leaves a row here, never a file
    that nothing names."""

    name = models.CharField(max_length=255)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
