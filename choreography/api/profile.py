"""The caller's profile: level and preferred style."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Profile, profile_for
from accounts.services import profile_update
from choreography.api.parsers import BODY_PARSERS
from choreography.api.responses import ERROR_RESPONSES, UNSUPPORTED_BODY


class ProfileApi(APIView):
    parser_classes = BODY_PARSERS

    class ProfileOutput(serializers.Serializer):
        username = serializers.CharField(source="user.username")
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES)

    class ProfileInput(serializers.Serializer):
        skill_level = serializers.ChoiceField(choices=Profile.LEVEL_CHOICES, required=False)
        preferred_style = serializers.ChoiceField(choices=Profile.STYLE_CHOICES, required=False)

    @extend_schema(responses={200: ProfileOutput})
    def get(self, request: Request) -> Response:
        """The caller's level and preferred style (new routines are made for this level)."""
        return Response(self.ProfileOutput(profile_for(request.user)).data)

    @extend_schema(
        request=ProfileInput, responses={200: ProfileOutput, 400: ERROR_RESPONSES[400], 415: UNSUPPORTED_BODY}
    )
    def patch(self, request: Request) -> Response:
        """Change the level and/or preferred style."""
        data = self.ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, **data.validated_data)
        return Response(self.ProfileOutput(profile).data)
