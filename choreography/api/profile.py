"""The caller's profile: level, preferred style and email (a new email waits for its confirmation link)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Profile, profile_for
from accounts.services import email_change_request, profile_update
from choreography.api.parsers import BODY_PARSERS
from choreography.api.responses import ERROR_RESPONSES, UNSUPPORTED_BODY


class ProfileApi(APIView):
    parser_classes = BODY_PARSERS

    class ProfileOutput(serializers.Serializer):
        username = serializers.CharField(source="user.username")
        email = serializers.CharField(source="user.email", help_text='The confirmed address; "" for none.')
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES)

    class ProfileInput(serializers.Serializer):
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES, required=False)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES, required=False)
        email = serializers.EmailField(
            required=False,
            max_length=254,
            help_text="A new address: answers 202; it changes once the link mailed to it is opened.",
        )

    class EmailPending(serializers.Serializer):
        detail = serializers.CharField()
        pending_email = serializers.EmailField()
        profile = serializers.DictField()

    @extend_schema(responses={200: ProfileOutput})
    def get(self, request: Request) -> Response:
        """The caller's level and preferred style (new routines are made for this level)."""
        return Response(self.ProfileOutput(profile_for(request.user)).data)

    @extend_schema(
        request=ProfileInput,
        responses={
            200: ProfileOutput,
            202: EmailPending,
            400: ERROR_RESPONSES[400],
            415: UNSUPPORTED_BODY,
        },
    )
    def patch(self, request: Request) -> Response:
        """Change the level and/or preferred style; a new email is mailed a confirmation link (202)."""
        data = self.ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        email = fields.pop("email", None)
        profile = profile_update(user=request.user, **fields)
        if email is not None and email.strip().lower() != request.user.email:
            new_email = email_change_request(
                user=request.user,
                new_email=email,
                confirm_url=lambda token: request.build_absolute_uri(reverse("email_change_confirm", args=[token])),
            )
            body = {
                "detail": f"We sent a confirmation link to {new_email}; the address changes once it is opened.",
                "pending_email": new_email,
                "profile": self.ProfileOutput(profile).data,
            }
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(self.ProfileOutput(profile).data)
