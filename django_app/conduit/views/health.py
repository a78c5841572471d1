"""Health: is the app up and does the database answer (tag Health)."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.views.base import ConduitAPIView


class HealthView(ConduitAPIView):
    """GET /health, outside /api and outside authentication."""

    authentication_classes = []
    permission_classes = [AllowAny]

    # operationId: GetHealth
    @extend_schema(
        operation_id="GetHealth",
        tags=["Health"],
        summary="Liveness and database check",
        responses={200: openapi.HEALTH, **openapi.errors(503)},
    )
    def get(self, request: Request) -> Response:
        """200 after a SELECT 1, 503 when the database is unavailable."""
        services.check_database()
        return Response({"status": "ok"})
