"""Log out everywhere: a session remembers the account's session generation when it logs in; once the
account's number moves on, any session holding an older one is logged out on its next request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout

from bachata.middleware import answers_outages

SESSION_KEY = "account_generation"


class SessionGenerationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    # The first use of the database, before any view: an outage answers 503 here.
    @answers_outages
    def __call__(self, request):
        if self._stale(request):
            logout(request)
            messages.info(request, "You were logged out everywhere; please log in again.")
        return self.get_response(request)

    @staticmethod
    def _stale(request) -> bool:
        """Whether this session is signed in to an account whose sessions were all ended since it logged in."""
        user = getattr(request, "user", None)
        if user is None or not hasattr(request, "session") or not user.is_authenticated:
            return False
        from accounts.models import Profile

        current = Profile.objects.filter(user=user).values_list("session_generation", flat=True).first() or 0
        return int(request.session.get(SESSION_KEY, 0)) != current
