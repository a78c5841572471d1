"""Root URLconf: the API under /api/, the health check, the docs, the admin and the front door.

No pattern ends in a slash and APPEND_SLASH is off, so /api/users/ is a JSON 404, never a
redirect.
"""

from django.contrib import admin
from django.urls import include, path

from django_app.conduit.views import docs
from django_app.conduit.views.health import HealthView
from django_app.conduit.views.home import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("api/", include("django_app.conduit.urls")),
    path("health", HealthView.as_view(), name="health"),
    path("openapi.json", docs.OpenAPIView.as_view(), name="openapi"),
    path("docs", docs.SwaggerView.as_view(), name="docs"),
    path("redoc", docs.RedocView.as_view(), name="redoc"),
    path("admin/", admin.site.urls),
]

handler400 = "django_app.conduit.exceptions.bad_request"
handler404 = "django_app.conduit.exceptions.route_not_found"
handler500 = "django_app.conduit.exceptions.server_error"
