from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("choreography.api.urls")),
    path("health/", include("bachata.health")),
    path("", include("choreography.urls")),
    # Browsers ask for /favicon.ico by themselves (feed readers, a bookmark): the same picture as the page's icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

if "django_rq" in settings.INSTALLED_APPS:
    urlpatterns.append(path("admin/rq/", include("django_rq.urls")))
