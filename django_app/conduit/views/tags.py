"""Tags."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.views.base import ConduitAPIView


class TagListView(ConduitAPIView):
    """GET /api/tags."""

    # No security in the spec: an Authorization header, even a broken one, is ignored.
    authentication_classes = []
    permission_classes = [AllowAny]

    # operationId: GetTags
    @extend_schema(
        operation_id="GetTags",
        tags=["Tags"],
        summary="Tags in use",
        responses={200: openapi.TAGS},
    )
    def get(self, request: Request) -> Response:
        """Tags in use, most used first."""
        return Response({"tags": services.list_tags()})
