"""Profile: view, follow and unfollow users."""

from fastapi import APIRouter

from fastapi_app import services
from fastapi_app.dependencies import CurrentUser, OptionalUser, SessionDep
from fastapi_app.errors import CLIENT_ERROR_RESPONSES
from fastapi_app.schemas import Profile, ProfileResponse, StrictJSONRoute

router = APIRouter(tags=["Profile"], route_class=StrictJSONRoute, responses=CLIENT_ERROR_RESPONSES)


# operationId: GetProfileByUsername
@router.get(
    "/profiles/{username}", operation_id="GetProfileByUsername", response_model=ProfileResponse
)
async def get_profile_by_username(
    username: str, session: SessionDep, viewer: OptionalUser
) -> ProfileResponse:
    """A user's public profile; `following` is relative to the caller (false if anonymous)."""
    profile = await services.get_profile(session=session, viewer=viewer, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))


# operationId: FollowUserByUsername
@router.post(
    "/profiles/{username}/follow",
    operation_id="FollowUserByUsername",
    response_model=ProfileResponse,
)
async def follow_user_by_username(
    username: str, session: SessionDep, user: CurrentUser
) -> ProfileResponse:
    """Follow a user (idempotent; any request body is ignored)."""
    profile = await services.follow_user(session=session, user=user, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))


# operationId: UnfollowUserByUsername
@router.delete(
    "/profiles/{username}/follow",
    operation_id="UnfollowUserByUsername",
    response_model=ProfileResponse,
)
async def unfollow_user_by_username(
    username: str, session: SessionDep, user: CurrentUser
) -> ProfileResponse:
    """Unfollow a user (idempotent)."""
    profile = await services.unfollow_user(session=session, user=user, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))
