from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("choreography.api.urls")),
    path("health/", include("bachata.health")),
    path("", include("choreography.urls")),
]

if "django_rq" in settings.INSTALLED_APPS:
    urlpatterns.append(path("admin/rq/", include("django_rq.urls")))
