from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Profile


class SignupForm(UserCreationForm):
    skill_level = forms.ChoiceField(choices=Profile.LEVEL_CHOICES, initial="beginner")
    preferred_style = forms.ChoiceField(choices=Profile.STYLE_CHOICES, initial="traditional")

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("skill_level", "preferred_style")
