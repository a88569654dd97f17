from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.forms.utils import ErrorDict
from django.shortcuts import redirect, render

from accounts.forms import ProfileForm, SignupForm
from accounts.models import profile_for
from accounts.services import user_signup
from bachata.security import login_blocked_for, login_failed, login_succeeded, wait_message


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            skill_level=form.cleaned_data["skill_level"],
            preferred_style=form.cleaned_data["preferred_style"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Describe your first routine.")
        return redirect("describe")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=profile_for(request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


class _BlockedLoginForm(AuthenticationForm):
    """The login form for an attempt over the limit: it says why, and never checks the password."""

    def __init__(self, *args, message: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.blocked_message = message

    def full_clean(self):
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, self.blocked_message)


class ThrottledLoginView(LoginView):
    """Django's login, limited: too many failures for a username or from an address answer 429."""

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        wait_s = login_blocked_for(request, username)
        if wait_s:
            form = _BlockedLoginForm(request, data={"username": username}, message=wait_message(wait_s))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait_s)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_succeeded(self.request, self.request.POST.get("username", ""))
        return super().form_valid(form)

    def form_invalid(self, form):
        login_failed(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)
