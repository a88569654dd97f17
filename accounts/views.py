from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.files.storage import default_storage
from django.forms.utils import ErrorDict
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.deletion import account_delete as account_delete_service
from accounts.export import ExportExpired, archive_filename, data_export_request, export_for_download, latest_export
from accounts.forms import AccountDeleteForm, EmailChangeForm, ProfileForm, SignupForm
from accounts.middleware import SESSION_KEY
from accounts.models import DataExport, profile_for
from accounts.services import (
    api_token_renew as api_token_renew_service,
)
from accounts.services import (
    email_change_confirm,
    email_change_request,
    log_out_everywhere,
    user_signup,
)
from bachata.security import login_blocked_for, login_failed, login_succeeded, wait_message
from choreography.errors import ChoreographyError


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_signup(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
                skill_level=form.cleaned_data["skill_level"],
                preferred_style=form.cleaned_data["preferred_style"],
            )
        except ChoreographyError as exc:
            form.add_error("email", str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}! Describe your first routine.")
            return redirect("describe")
    return render(request, "registration/signup.html", {"form": form})


def _confirm_url(request):
    return lambda token: request.build_absolute_uri(reverse("email_change_confirm", args=[token]))


def _profile_page(request, *, status: int = 200, **forms):
    """The profile page, with its forms (those given replace the empty ones) and the account's state."""
    from rest_framework.authtoken.models import Token

    context = {
        "form": ProfileForm(instance=profile_for(request.user)),
        "email_form": EmailChangeForm(),
        "delete_form": AccountDeleteForm(),
        "export": latest_export(request.user),
        "api_token": Token.objects.filter(user=request.user).values_list("key", flat=True).first(),
        "now": timezone.now(),
        **forms,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=profile_for(request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return _profile_page(request, form=form)


@login_required
@require_POST
def email_change(request):
    """Ask for a new address: a confirmation link goes to it; the address changes once it is opened."""
    email_form = EmailChangeForm(request.POST)
    if email_form.is_valid():
        try:
            new_email = email_change_request(
                user=request.user, new_email=email_form.cleaned_data["email"], confirm_url=_confirm_url(request)
            )
        except ChoreographyError as exc:
            email_form.add_error("email", str(exc))
        else:
            messages.success(
                request, f"We sent a confirmation link to {new_email}; your address changes once you open it."
            )
            return redirect("profile")
    return _profile_page(request, email_form=email_form, status=400)


def email_change_confirmed(request, token: str):
    """The link from the mail: GET shows what will change, POST applies it (a mail scanner's
    prefetch does not confirm on its own)."""
    from accounts.services import read_email_change_token

    try:
        change = read_email_change_token(token)
        if request.method == "POST":
            user = email_change_confirm(token)
            messages.success(request, f"Your email address is now {user.email}.")
            return redirect("profile" if request.user.is_authenticated else "login")
    except ChoreographyError as exc:
        return render(request, "accounts/email_confirm.html", {"error": str(exc)}, status=400)
    return render(request, "accounts/email_confirm.html", {"new_email": change.new_email})


@login_required
@require_POST
def logout_everywhere(request):
    """Every session of this account is logged out and the API token replaced; this one stays in."""
    generation = log_out_everywhere(user=request.user)
    request.session.cycle_key()
    request.session[SESSION_KEY] = generation
    messages.success(request, "Every other session is logged out and your API token was replaced; this one stays in.")
    return redirect("profile")


@login_required
@require_POST
def api_token_renew(request):
    """A new API token; the old one (if any) stops working at once."""
    api_token_renew_service(user=request.user)
    messages.success(request, "Your API token was renewed; the old one no longer works.")
    return redirect(reverse("profile") + "#api-token")


@login_required
@require_POST
def account_delete(request):
    """Delete the account and everything of it, once the dancer typed their username or password."""
    form = AccountDeleteForm(request.POST)
    if form.is_valid():
        try:
            account_delete_service(user=request.user, confirmation=form.cleaned_data["confirmation"])
        except ChoreographyError as exc:
            form.add_error("confirmation", str(exc))
        else:
            logout(request)
            messages.success(request, "Your account and everything in it were deleted. Thank you for dancing with us.")
            return redirect("home")
    return _profile_page(request, delete_form=form, status=400)


@login_required
@require_POST
def data_export(request):
    """Ask for an archive of everything of the dancer's; a background job builds it."""
    export = data_export_request(user=request.user)
    if export.status == export.Status.READY:
        messages.success(request, "Your export is ready to download.")
    else:
        messages.success(request, "We are building your export; it appears here when it is ready.")
    return redirect(reverse("profile") + "#export")


@login_required
def data_export_download(request, export_id: int):
    """The export's zip, for its own dancer only (404 for anyone else); refused once it has expired."""
    export = get_object_or_404(DataExport.objects.select_related("owner"), pk=export_id, owner=request.user)
    try:
        name = export_for_download(export)
    except ExportExpired as exc:
        return render(request, "accounts/export_gone.html", {"error": str(exc)}, status=410)
    except ChoreographyError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("profile") + "#export")
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=archive_filename(export))


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


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's reset request: the same page whether or not the address has an account, and limited
    per address asked for and per client (429 over either, for every address alike).

    The request does the same work for every address: it queues a job (accounts.jobs.password_reset_mail)
    that looks the account up and mails it, so that the time to answer says nothing about the address."""

    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        address = request.POST.get("email", "")[:300].strip().lower()
        wait_s = login_blocked_for(request, address, kind="reset")
        if wait_s:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, "Too many reset requests; try again in a while.")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait_s)
            return response
        login_failed(request, address, kind="reset")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        from accounts import jobs
        from bachata.runner import enqueue

        enqueue(
            jobs.password_reset_mail,
            email=form.cleaned_data["email"],
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-a-new-password page; the new password logs out every other session (the session
    auth hash comes from the password) and the API token is replaced."""

    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        log_out_everywhere(user=form.user)
        return response
