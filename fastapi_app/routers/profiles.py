"""Profile: view, follow and unfollow users."""

from fastapi import APIRouter

from fastapi_app import services
from fastapi_app.dependencies import TOKEN_OPTIONAL, CurrentUser, OptionalUser, SessionDep
from fastapi_app.errors import error_responses
from fastapi_app.schemas import Profile, ProfileResponse, StrictJSONRoute, Username

router = APIRouter(tags=["Profile"], route_class=StrictJSONRoute)


# operationId: GetProfileByUsername
@router.get(
    "/profiles/{username}",
    operation_id="GetProfileByUsername",
    summary="Get a profile",
    response_model=ProfileResponse,
    response_description="A profile.",
    responses=error_responses(401, 404),
    openapi_extra=TOKEN_OPTIONAL,
)
async def get_profile_by_username(
    username: Username, session: SessionDep, viewer: OptionalUser
) -> ProfileResponse:
    """A user's public profile; `following` is relative to the caller (false if anonymous)."""
    profile = await services.get_profile(session=session, viewer=viewer, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))


# operationId: FollowUserByUsername
@router.post(
    "/profiles/{username}/follow",
    operation_id="FollowUserByUsername",
    summary="Follow a user",
    response_model=ProfileResponse,
    response_description="A profile.",
    responses=error_responses(401, 404, 422),
)
async def follow_user_by_username(
    username: Username, session: SessionDep, user: CurrentUser
) -> ProfileResponse:
    """Follow a user (idempotent; any request body is ignored)."""
    profile = await services.follow_user(session=session, user=user, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))


# operationId: UnfollowUserByUsername
@router.delete(
    "/profiles/{username}/follow",
    operation_id="UnfollowUserByUsername",
    summary="Unfollow a user",
    response_model=ProfileResponse,
    response_description="A profile.",
    responses=error_responses(401, 404),
)
async def unfollow_user_by_username(
    username: Username, session: SessionDep, user: CurrentUser
) -> ProfileResponse:
    """Unfollow a user (idempotent)."""
    profile = await services.unfollow_user(session=session, user=user, username=username)
    return ProfileResponse(profile=Profile.model_validate(profile))
