"""Profile: read, follow and unfollow users."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.authentication import AuthenticatedRequest, ViewerRequest
from django_app.conduit.serializers import ProfileSerializer
from django_app.conduit.views.base import ConduitAPIView


class ProfileView(ConduitAPIView):
    """GET /api/profiles/{username}; authentication optional."""

    permission_classes = [AllowAny]

    # operationId: GetProfileByUsername
    @extend_schema(
        operation_id="GetProfileByUsername",
        tags=["Profile"],
        summary="Get a profile",
        parameters=[openapi.USERNAME],
        responses={200: openapi.PROFILE, **openapi.errors(401, 404)},
    )
    def get(self, request: ViewerRequest, username: str) -> Response:
        """A profile, with `following` relative to the caller."""
        profile = services.get_profile(viewer=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})


class FollowView(ConduitAPIView):
    """POST and DELETE /api/profiles/{username}/follow; any request body is ignored."""

    # operationId: FollowUserByUsername
    @extend_schema(
        operation_id="FollowUserByUsername",
        tags=["Profile"],
        summary="Follow a user",
        parameters=[openapi.USERNAME],
        request=None,
        responses={200: openapi.PROFILE, **openapi.errors(401, 404, 422)},
    )
    def post(self, request: AuthenticatedRequest, username: str) -> Response:
        """Follow a user."""
        profile = services.follow_user(user=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})

    # operationId: UnfollowUserByUsername
    @extend_schema(
        operation_id="UnfollowUserByUsername",
        tags=["Profile"],
        summary="Unfollow a user",
        parameters=[openapi.USERNAME],
        responses={200: openapi.PROFILE, **openapi.errors(401, 404)},
    )
    def delete(self, request: AuthenticatedRequest, username: str) -> Response:
        """Unfollow a user."""
        profile = services.unfollow_user(user=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})
