"""User and Authentication: register, login, read and update the current user."""

from flask import Response, g

from flask_app import openapi, services, throttling
from flask_app.auth import issue_token, login_required
from flask_app.openapi import Blueprint
from flask_app.schemas import (
    LoginUser,
    LoginUserRequestSchema,
    NewUser,
    NewUserRequestSchema,
    UpdateUser,
    UpdateUserRequestSchema,
    UserResponse,
    UserResponseSchema,
    UserWithToken,
)

bp = Blueprint("User and Authentication", __name__)


def never_cache_tokens(response: Response) -> Response:
    """Each operation here answers with a token: `Cache-Control: no-store`, so no cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(never_cache_tokens)

# The header never_cache_tokens sends, documented on each success as the spec's UserResponse has it.
NO_STORE = {
    "Cache-Control": {
        "required": True,
        "description": "`no-store`: a response that carries a token is kept by no cache.",
        "schema": {"const": "no-store"},
    }
}


# operationId: Login
@bp.post("/users/login")
@throttling.limit_login_by_address
@throttling.limit_failed_logins_by_account
@bp.doc(
    operationId="Login",
    summary="Existing user login",
    responses=openapi.errors(401, 429, *openapi.BODY_ERRORS),
)
@bp.arguments(LoginUserRequestSchema)
@bp.response(200, UserResponseSchema, headers=NO_STORE)
def login(credentials: LoginUser) -> UserResponse:
    """Exchange email and password for the user and a fresh token."""
    user = services.authenticate(**credentials)
    return {"user": UserWithToken(user, issue_token(user))}


# operationId: CreateUser
@bp.post("/users")
@throttling.limit_registration_by_address
@bp.doc(
    operationId="CreateUser",
    summary="Register a new user",
    responses=openapi.errors(409, 429, *openapi.BODY_ERRORS),
)
@bp.arguments(NewUserRequestSchema)
@bp.response(201, UserResponseSchema, headers=NO_STORE)
def create_user(fields: NewUser) -> UserResponse:
    """Register a new account and sign it in."""
    user = services.register_user(**fields)
    return {"user": UserWithToken(user, issue_token(user))}


# operationId: GetCurrentUser
@bp.get("/user")
@bp.doc(
    operationId="GetCurrentUser",
    summary="Get current user",
    security=openapi.TOKEN,
    responses=openapi.errors(401),
)
@login_required
@bp.response(200, UserResponseSchema, headers=NO_STORE)
def get_current_user() -> UserResponse:
    """The signed-in user, echoing the token that was presented."""
    return {"user": UserWithToken(g.current_user, g.current_token)}


# operationId: UpdateCurrentUser
@bp.put("/user")
@bp.doc(
    operationId="UpdateCurrentUser",
    summary="Update current user",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 409, *openapi.BODY_ERRORS),
)
@login_required
@bp.arguments(UpdateUserRequestSchema)
@bp.response(200, UserResponseSchema, headers=NO_STORE)
def update_current_user(changes: UpdateUser) -> UserResponse:
    """Change any of the signed-in user's fields; an empty object changes nothing. A new
    password ends every earlier token but the presented one; the answer carries a fresh one."""
    user = services.update_user(user=g.current_user, changes=changes, token=g.current_token)
    token = issue_token(user) if "password" in changes else g.current_token
    return {"user": UserWithToken(user, token)}
