"""What several resources answer alike: pages of rows, 202 for queued work, and the documented errors."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from choreography.models import Routine, Song

ERROR_RESPONSES = {
    400: OpenApiResponse(description='Invalid input or a domain error: {"error": "..."}'),
    404: OpenApiResponse(description="No such row among the caller's own"),
}
# DRF's paginator answers 404 {"detail": "Invalid page."} past the last page.
NO_SUCH_PAGE = OpenApiResponse(description="No such page: ?page is past the last one")
UNSUPPORTED_BODY = OpenApiResponse(description="The body is not in a media type this operation reads")
TOO_MANY = OpenApiResponse(description="Over the per-user rate; Retry-After says how many seconds to wait")
DELETED = OpenApiResponse(description="Deleted, with its files")


class QueuedOutput(serializers.Serializer):
    """What a 202 answers: the row's id and status, and where to poll."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField()
    url = serializers.CharField()


def paginated(view: APIView, items, serializer_class: type[serializers.Serializer]) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, view.request, view=view)
    data = serializer_class(page, many=True, context={"request": view.request}).data
    return paginator.get_paginated_response(data)


def accepted(request: Request, row: Song | Routine, location: str) -> Response:
    """202: the work is queued; Location is where to poll for its status."""
    # In the embedded configuration the job has already run on commit: answer with the row as it is now.
    row.refresh_from_db()
    data = {"id": row.pk, "status": row.status, "error": row.error, "url": location}
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": request.build_absolute_uri(location)})
