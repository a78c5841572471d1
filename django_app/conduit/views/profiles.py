"""Profile: read, follow and unfollow users."""

from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from django_app.conduit import services
from django_app.conduit.authentication import AuthenticatedRequest, ViewerRequest
from django_app.conduit.serializers import ProfileSerializer
from django_app.conduit.views.base import ConduitAPIView


class ProfileView(ConduitAPIView):
    """GET /api/profiles/{username}; authentication optional."""

    permission_classes = [AllowAny]

    # operationId: GetProfileByUsername
    def get(self, request: ViewerRequest, username: str) -> Response:
        """A profile, with `following` relative to the caller."""
        profile = services.get_profile(viewer=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})


class FollowView(ConduitAPIView):
    """POST and DELETE /api/profiles/{username}/follow; any request body is ignored."""

    # operationId: FollowUserByUsername
    def post(self, request: AuthenticatedRequest, username: str) -> Response:
        """Follow a user."""
        profile = services.follow_user(user=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})

    # operationId: UnfollowUserByUsername
    def delete(self, request: AuthenticatedRequest, username: str) -> Response:
        """Unfollow a user."""
        profile = services.unfollow_user(user=request.user, username=username)
        return Response({"profile": ProfileSerializer(profile).data})
