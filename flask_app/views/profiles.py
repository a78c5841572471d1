"""Profiles: read a user's public profile, follow and unfollow."""

from flask import g

from flask_app import openapi, services
from flask_app.auth import login_optional, login_required
from flask_app.openapi import Blueprint
from flask_app.schemas import ProfileResponse, ProfileResponseSchema

bp = Blueprint("Profile", __name__)


# operationId: GetProfileByUsername
@bp.get("/profiles/<username>", parameters=[openapi.USERNAME])
@bp.doc(
    operationId="GetProfileByUsername",
    summary="Get a profile",
    security=openapi.TOKEN_OPTIONAL,
    responses=openapi.errors(401, 404),
)
@login_optional
@bp.response(200, ProfileResponseSchema)
def get_profile_by_username(username: str) -> ProfileResponse:
    """A user's profile, with `following` relative to the caller."""
    profile = services.get_profile(viewer=g.current_user, username=username)
    return {"profile": profile}


# operationId: FollowUserByUsername
@bp.post("/profiles/<username>/follow", parameters=[openapi.USERNAME])
@bp.doc(
    operationId="FollowUserByUsername",
    summary="Follow a user",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 404, 422),
)
@login_required
@bp.response(200, ProfileResponseSchema)
def follow_user_by_username(username: str) -> ProfileResponse:
    """Follow a user (idempotent; any request body is ignored)."""
    profile = services.follow_user(user=g.current_user, username=username)
    return {"profile": profile}


# operationId: UnfollowUserByUsername
@bp.delete("/profiles/<username>/follow", parameters=[openapi.USERNAME])
@bp.doc(
    operationId="UnfollowUserByUsername",
    summary="Unfollow a user",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 404),
)
@login_required
@bp.response(200, ProfileResponseSchema)
def unfollow_user_by_username(username: str) -> ProfileResponse:
    """Stop following a user (idempotent)."""
    profile = services.unfollow_user(user=g.current_user, username=username)
    return {"profile": profile}
