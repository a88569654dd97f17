from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created: bool, **kwargs) -> None:
    if created:
        Profile.objects.get_or_create(user=instance)


@receiver(user_logged_in)
def remember_session_generation(sender, request, user, **kwargs) -> None:
    """A new login holds the account's current generation; "log out everywhere" moves it on."""
    from accounts.middleware import SESSION_KEY

    if request is not None and hasattr(request, "session"):
        generation = Profile.objects.filter(user=user).values_list("session_generation", flat=True).first() or 0
        request.session[SESSION_KEY] = generation
