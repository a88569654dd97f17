"""Log out everywhere: a session remembers the account's session generation when it logs in; once the
account's number moves on, any session holding an older one is logged out on its next request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout

SESSION_KEY = "account_generation"


class SessionGenerationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            from accounts.models import Profile

            current = Profile.objects.filter(user=user).values_list("session_generation", flat=True).first() or 0
            if int(request.session.get(SESSION_KEY, 0)) != current:
                logout(request)
                messages.info(request, "You were logged out everywhere; please log in again.")
        return self.get_response(request)
