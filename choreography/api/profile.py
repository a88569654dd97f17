"""The caller's profile: level, preferred style and email (a new email waits for its confirmation link);
deleting the account; exporting its data (a job with a status URL)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.deletion import LastStaffError, account_delete
from accounts.export import (
    EXPIRED,
    ExportExpired,
    archive_filename,
    data_export_request,
    export_for_download,
    is_expired,
)
from accounts.models import DataExport, Profile, profile_for
from accounts.services import email_change_request, profile_update
from choreography.api.parsers import BODY_PARSERS
from choreography.api.responses import DELETED, ERROR_RESPONSES, UNSUPPORTED_BODY
from choreography.errors import ChoreographyError


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

    class DeleteInput(serializers.Serializer):
        confirm = serializers.CharField(
            max_length=1000,
            trim_whitespace=False,
            help_text="Your username, or your password: nothing is deleted without it.",
        )

    @extend_schema(
        request=DeleteInput,
        responses={
            204: DELETED,
            400: ERROR_RESPONSES[400],
            409: OpenApiResponse(description="The last staff account cannot delete itself"),
            415: UNSUPPORTED_BODY,
        },
    )
    def delete(self, request: Request) -> Response:
        """Delete the caller's account and everything of it (songs, routines, videos, practice, saved loops,
        exports, token, sessions), once `confirm` gives the username or the password."""
        data = self.DeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            account_delete(user=request.user, confirmation=data.validated_data["confirm"])
        except LastStaffError as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        if hasattr(request, "session"):
            request.session.flush()
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="queued, running, ready, failed, or expired (ready, past its day)")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Until when the archive can be downloaded.")
    size_bytes = serializers.IntegerField()
    url = serializers.CharField(help_text="This status")
    download_url = serializers.CharField(allow_null=True, help_text="The zip, once ready and until it expires.")


def _export_data(export: DataExport) -> dict:
    expired = export.status == DataExport.Status.READY and (is_expired(export) or not export.archive)
    ready = export.status == DataExport.Status.READY and not expired
    return {
        "id": export.pk,
        "status": "expired" if expired else export.status,
        "error": EXPIRED if expired else export.error,
        "created_at": export.created_at,
        "expires_at": export.expires_at,
        "size_bytes": export.size_bytes,
        "url": reverse("api:profile_export_detail", args=[export.pk]),
        "download_url": reverse("api:profile_export_download", args=[export.pk]) if ready else None,
    }


def _export_for_user(request: Request, export_id: int) -> DataExport:
    return get_object_or_404(DataExport.objects.select_related("owner"), pk=export_id, owner=request.user)


class ProfileExportApi(APIView):
    @extend_schema(request=None, responses={202: ExportOutput})
    def post(self, request: Request) -> Response:
        """Build a zip of everything of the caller's (a background job): 202 with the status URL to poll.
        While one is being built, asking again answers that one. The JSON inside is described in the docs."""
        export = data_export_request(user=request.user)
        data = _export_data(export)
        return Response(
            data, status=status.HTTP_202_ACCEPTED, headers={"Location": request.build_absolute_uri(data["url"])}
        )


class ProfileExportDetailApi(APIView):
    @extend_schema(responses={200: ExportOutput, 404: ERROR_RESPONSES[404]})
    def get(self, request: Request, export_id: int) -> Response:
        """An export's status; `download_url` once it is ready, for a day."""
        return Response(_export_data(_export_for_user(request, export_id)))


class ProfileExportDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(description="The archive"),
            404: ERROR_RESPONSES[404],
            409: OpenApiResponse(description="Not ready yet, or failed"),
            410: OpenApiResponse(description="Expired: offered for a day only"),
        }
    )
    def get(self, request: Request, export_id: int):
        """The export's zip: bachata-buddy.json plus the caller's song files and routine videos."""
        export = _export_for_user(request, export_id)
        try:
            name = export_for_download(export)
        except ExportExpired as exc:
            return Response({"error": str(exc)}, status=status.HTTP_410_GONE)
        except ChoreographyError as exc:
            return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
        return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=archive_filename(export))
