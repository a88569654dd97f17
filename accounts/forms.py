from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Profile
from accounts.services import MAX_EMAIL_LENGTH, email_taken, normalise_email
from choreography.errors import ChoreographyError


def _clean_address(value: str) -> str:
    try:
        return normalise_email(value)
    except ChoreographyError as exc:
        raise forms.ValidationError(str(exc)) from None


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        max_length=MAX_EMAIL_LENGTH, help_text="For resetting a forgotten password; never shown to anyone."
    )
    skill_level = forms.ChoiceField(choices=Profile.LEVEL_CHOICES, initial="beginner")
    preferred_style = forms.ChoiceField(choices=Profile.STYLE_CHOICES, initial="traditional")

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = _clean_address(self.cleaned_data["email"])
        if email_taken(email):
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("skill_level", "preferred_style")


class EmailChangeForm(forms.Form):
    email = forms.EmailField(max_length=MAX_EMAIL_LENGTH, label="New email address")

    def clean_email(self) -> str:
        return _clean_address(self.cleaned_data["email"])


class AccountDeleteForm(forms.Form):
    confirmation = forms.CharField(
        max_length=1000,
        strip=False,
        label="Type your username (or your password) to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
