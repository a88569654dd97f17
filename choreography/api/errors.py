"""How the API answers errors: DRF's handler, with domain errors and a one-line "error" added."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from choreography.errors import ChoreographyError


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus: domain errors become 400 {"error": ...}; validation errors gain an "error" line."""
    if isinstance(exc, ChoreographyError):
        return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = {"error": _first_message(response.data), "fields": response.data}
    elif response is not None and isinstance(exc, ParseError):
        response.data = {"error": str(exc.detail), **response.data}
    return response


def _first_message(detail: Any) -> str:
    # A client that shows one line can show this one; "fields" keeps every problem by field.
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)
