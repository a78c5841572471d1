"""Docs: drf-spectacular's views of the generated document, configured for this app.

They serve the document and pages about the API, not operations of it, so they are outside the
spec and carry no operationId; their handlers are drf-spectacular's own.
"""

from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)


class OpenAPIView(SpectacularJSONAPIView):
    """GET /openapi.json, as application/json (not vnd.oai.openapi+json), which browsers show."""

    renderer_classes = [OpenApiJsonRenderer2]


class SwaggerView(SpectacularSwaggerView):
    """GET /docs: Swagger UI, its assets from drf-spectacular-sidecar."""

    url_name = "openapi"


class RedocView(SpectacularRedocView):
    """GET /redoc: ReDoc, its assets from drf-spectacular-sidecar and no web fonts."""

    url_name = "openapi"
    template_name = "conduit/redoc.html"
