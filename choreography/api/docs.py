"""The human-readable API docs: a page listing the endpoints, made from the OpenAPI schema."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator


def api_docs(request: HttpRequest) -> HttpResponse:
    """A server-rendered list of the endpoints from the OpenAPI schema: no JavaScript, no CDN."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    endpoints = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": (operation.get("description") or operation.get("summary") or "").strip(),
                    "parameters": [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"],
                    "body": ", ".join(sorted(body)),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    context = {
        "info": schema.get("info", {}),
        "endpoints": endpoints,
        "throttle_rates": settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
        "page_size": settings.REST_FRAMEWORK.get("PAGE_SIZE"),
        "schema_url": reverse("api:schema"),
    }
    return render(request, "api/docs.html", context)
