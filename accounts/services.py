from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import Profile, profile_for
from choreography.errors import ChoreographyError

EMAIL_CHANGE_SALT = "accounts.email-change"
MAX_EMAIL_LENGTH = 254


def normalise_email(email: str) -> str:
    """The stored form of an address: trimmed and lowercased ("" for none). Raises ChoreographyError
    for something that is not an address."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = (email or "").strip().lower()
    if not email:
        return ""
    if len(email) > MAX_EMAIL_LENGTH:
        raise ChoreographyError(f"An email address has at most {MAX_EMAIL_LENGTH} characters.")
    try:
        validate_email(email)
    except ValidationError:
        raise ChoreographyError(f"{email[:80]!r} is not an email address.") from None
    return email


def email_taken(email: str, *, exclude_user=None) -> bool:
    """Whether another account already has this address (any case)."""
    users = get_user_model().objects.filter(email__iexact=email)
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return bool(email) and users.exists()


@transaction.atomic
def user_signup(*, username: str, password: str, skill_level: str, preferred_style: str, email: str = ""):
    """Create a user and their profile together: both or neither."""
    email = normalise_email(email)
    if email_taken(email):
        raise ChoreographyError("An account with this email address already exists.")
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, password=password, email=email)
    except IntegrityError:  # the same address signed up at the same moment
        raise ChoreographyError("An account with this email address already exists.") from None
    profile = profile_for(user)
    profile.skill_level = skill_level
    profile.preferred_style = preferred_style
    profile.save(update_fields=["skill_level", "preferred_style"])
    return user


@transaction.atomic
def profile_update(*, user, skill_level: str | None = None, preferred_style: str | None = None) -> Profile:
    """Change a dancer's level and/or style; routines already made keep the level they were made at.

    The email address is not changed here: see email_change_request (it waits for a confirmation)."""
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


# --- email change: a signed link to the new address; nothing changes until it is opened ---------------------


@dataclass(frozen=True)
class EmailChange:
    user_id: int
    old_email: str
    new_email: str


def email_change_token(user, new_email: str) -> str:
    """A signed, timestamped token naming the user, the address now held and the new one.

    Holding the old address makes a link single-use: once an address is confirmed, older links are stale."""
    return signing.dumps({"u": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT, compress=True)


def read_email_change_token(token: str, *, max_age_s: int | None = None) -> EmailChange:
    """The change a token asks for; ChoreographyError when it is forged, expired or malformed."""
    max_age_s = settings.EMAIL_CHANGE_TIMEOUT_S if max_age_s is None else max_age_s
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=max_age_s)
    except signing.SignatureExpired:
        raise ChoreographyError("This confirmation link has expired; ask for a new one from your profile.") from None
    except signing.BadSignature:
        raise ChoreographyError("This confirmation link is not valid.") from None
    if not isinstance(data, dict) or not {"u", "old", "new"} <= set(data):
        raise ChoreographyError("This confirmation link is not valid.")
    return EmailChange(user_id=int(data["u"]), old_email=str(data["old"]), new_email=str(data["new"]))


def email_change_request(*, user, new_email: str, confirm_url) -> str:
    """Mail a confirmation link to the new address (and tell the old one); returns the new address.

    confirm_url(token) -> the absolute URL of the confirmation page. The address is not changed yet."""
    new_email = normalise_email(new_email)
    if not new_email:
        raise ChoreographyError("Give the new email address.")
    if new_email == user.email:
        raise ChoreographyError(f"{new_email} is already your address.")
    if email_taken(new_email, exclude_user=user):
        raise ChoreographyError("Another account already uses this email address.")
    link = confirm_url(email_change_token(user, new_email))
    hours = settings.EMAIL_CHANGE_TIMEOUT_S // 3600
    send_mail(
        "Confirm your new email address for Bachata Buddy",
        f"Hello {user.username},\n\nTo use {new_email} for your Bachata Buddy account, open this link "
        f"within {hours} hours:\n\n{link}\n\nIf you did not ask for this, ignore this mail; nothing changes.\n",
        None,
        [new_email],
    )
    if user.email:
        send_mail(
            "Your Bachata Buddy email address is being changed",
            f"Hello {user.username},\n\nSomeone signed in as you asked to change your account's email address "
            f"to {new_email}. It changes only once the link sent there is opened.\n\nIf this was not you, "
            'change your password and use "Log out everywhere" on your profile page.\n',
            None,
            [user.email],
        )
    return new_email


@transaction.atomic
def email_change_confirm(token: str):
    """Apply a confirmed change: the account's address becomes the new one. Returns the user."""
    change = read_email_change_token(token)
    user = get_user_model().objects.select_for_update().filter(pk=change.user_id).first()
    if user is None or user.email != change.old_email:
        raise ChoreographyError("This confirmation link has already been used or is out of date.")
    if email_taken(change.new_email, exclude_user=user):
        raise ChoreographyError("Another account already uses this email address.")
    user.email = change.new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        raise ChoreographyError("Another account already uses this email address.") from None
    return user


# --- password reset: mailed from a job --------------------------------------------------------------------


def password_reset_mail(*, email: str, domain: str, use_https: bool) -> int:
    """Mail a reset link (Django's form, tokens and templates) to the active account with this address, if
    there is one. Run as a background job for every address asked for, so that the request that asked
    answers in the same time either way. Returns how many mails went (0 or 1)."""
    from django.contrib.auth.forms import PasswordResetForm

    form = PasswordResetForm(data={"email": email})
    if not form.is_valid():
        return 0
    sent = sum(1 for _ in form.get_users(form.cleaned_data["email"]))
    form.save(domain_override=domain, use_https=use_https)
    return sent


# --- log out everywhere --------------------------------------------------------------------------------------


def rotate_api_token(user) -> None:
    """Replace the user's API token, if they have one: the old key stops working at once."""
    from rest_framework.authtoken.models import Token

    if Token.objects.filter(user=user).delete()[0]:
        Token.objects.create(user=user)


@transaction.atomic
def api_token_renew(*, user):
    """A new API token for the dancer (their first, or a replacement: the old key stops working at once)."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def log_out_everywhere(*, user) -> int:
    """Move the account's session generation on (every session logs out on its next request) and rotate
    the API token. Returns the new generation: the caller's own session stores it to stay logged in."""
    profile = profile_for(user)
    Profile.objects.filter(pk=profile.pk).update(session_generation=F("session_generation") + 1)
    rotate_api_token(user)
    return Profile.objects.values_list("session_generation", flat=True).get(pk=profile.pk)
