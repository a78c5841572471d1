"""User and Authentication: register, log in, read and update the current user."""

from typing import Any

from fastapi import APIRouter, Depends, Response, status

from fastapi_app import services
from fastapi_app.dependencies import (
    CurrentToken,
    CurrentUser,
    SessionDep,
    SettingsDep,
)
from fastapi_app.errors import BODY_ERRORS, error_responses
from fastapi_app.schemas import (
    LoginUserRequest,
    NewUserRequest,
    StrictJSONRoute,
    UpdateUserRequest,
    User,
    UserResponse,
)
from fastapi_app.security import create_access_token
from fastapi_app.throttling import (
    RateLimitsDep,
    limit_login_by_address,
    limit_registration_by_address,
)


async def never_cache_tokens(response: Response) -> None:
    """Each operation here answers with a token: `Cache-Control: no-store`, so no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"


# The header never_cache_tokens sends, documented on each success as the spec's UserResponse has it.
NO_STORE: dict[str, Any] = {
    "headers": {
        "Cache-Control": {
            "required": True,
            "description": "`no-store`: a response that carries a token is kept by no cache.",
            "schema": {"const": "no-store"},
        }
    }
}


router = APIRouter(
    tags=["User and Authentication"],
    route_class=StrictJSONRoute,
    dependencies=[Depends(never_cache_tokens)],
)


# operationId: Login
@router.post(
    "/users/login",
    operation_id="Login",
    summary="Existing user login",
    response_model=UserResponse,
    response_description="A user, with a token.",
    responses={200: NO_STORE, **error_responses(*BODY_ERRORS, 401, 429)},
    dependencies=[Depends(limit_login_by_address)],
)
async def login(
    session: SessionDep,
    settings: SettingsDep,
    limits: RateLimitsDep,
    body: LoginUserRequest,
) -> UserResponse:
    """Exchange email and password for the user and a fresh token."""
    async with limits.failed_logins_limited(body.user.email):
        user = await services.authenticate(
            session=session, email=body.user.email, password=body.user.password
        )
    return UserResponse(user=User.with_token(user, create_access_token(user, settings)))


# operationId: CreateUser
@router.post(
    "/users",
    operation_id="CreateUser",
    summary="Register a new user",
    status_code=status.HTTP_201_CREATED,
    response_model=UserResponse,
    response_description="A user, with a token.",
    responses={201: NO_STORE, **error_responses(*BODY_ERRORS, 409, 429)},
    dependencies=[Depends(limit_registration_by_address)],
)
async def create_user(
    session: SessionDep,
    settings: SettingsDep,
    body: NewUserRequest,
) -> UserResponse:
    """Register a user and log them in (201 with a fresh token)."""
    user = await services.register_user(
        session=session,
        username=body.user.username,
        email=body.user.email,
        password=body.user.password,
    )
    return UserResponse(user=User.with_token(user, create_access_token(user, settings)))


# operationId: GetCurrentUser
@router.get(
    "/user",
    operation_id="GetCurrentUser",
    summary="Get current user",
    response_model=UserResponse,
    response_description="A user, with a token.",
    responses={200: NO_STORE, **error_responses(401)},
)
async def get_current_user(user: CurrentUser, token: CurrentToken) -> UserResponse:
    """The caller, with the token they presented."""
    return UserResponse(user=User.with_token(user, token))


# operationId: UpdateCurrentUser
@router.put(
    "/user",
    operation_id="UpdateCurrentUser",
    summary="Update current user",
    response_model=UserResponse,
    response_description="A user, with a token.",
    responses={200: NO_STORE, **error_responses(*BODY_ERRORS, 401, 409)},
)
async def update_current_user(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    token: CurrentToken,
    body: UpdateUserRequest,
) -> UserResponse:
    """Change the fields sent (an empty object changes nothing). A new password ends every
    earlier token but the presented one; the answer carries a fresh one."""
    changes = body.user.model_dump(exclude_unset=True)
    user = await services.update_user(session=session, user=user, changes=changes, token=token)
    if "password" in changes:
        token = create_access_token(user, settings)
    return UserResponse(user=User.with_token(user, token))
