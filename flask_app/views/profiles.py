"""Profiles: read a user's public profile, follow and unfollow."""

from flask import Blueprint, g
from flask.typing import ResponseReturnValue

from flask_app import services
from flask_app.auth import login_optional, login_required
from flask_app.schemas import ProfileSchema

bp = Blueprint("profiles", __name__)


# operationId: GetProfileByUsername
@bp.get("/profiles/<username>")
@login_optional
def get_profile_by_username(username: str) -> ResponseReturnValue:
    """A user's profile, with `following` relative to the caller."""
    profile = services.get_profile(viewer=g.current_user, username=username)
    return {"profile": ProfileSchema().dump(profile)}


# operationId: FollowUserByUsername
@bp.post("/profiles/<username>/follow")
@login_required
def follow_user_by_username(username: str) -> ResponseReturnValue:
    """Follow a user (idempotent; any request body is ignored)."""
    profile = services.follow_user(user=g.current_user, username=username)
    return {"profile": ProfileSchema().dump(profile)}


# operationId: UnfollowUserByUsername
@bp.delete("/profiles/<username>/follow")
@login_required
def unfollow_user_by_username(username: str) -> ResponseReturnValue:
    """Stop following a user (idempotent)."""
    profile = services.unfollow_user(user=g.current_user, username=username)
    return {"profile": ProfileSchema().dump(profile)}
