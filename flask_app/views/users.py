"""Users and authentication: register, login, read and update the current user."""

from flask import Blueprint, g
from flask.typing import ResponseReturnValue

from flask_app import services
from flask_app.auth import issue_token, login_required
from flask_app.schemas import (
    LoginUserSchema,
    NewUserSchema,
    TokenContext,
    UpdateUserSchema,
    UserSchema,
    json_body,
)

bp = Blueprint("users", __name__)


# operationId: Login
@bp.post("/users/login")
def login() -> ResponseReturnValue:
    """Exchange email and password for the user and a fresh token."""
    credentials = LoginUserSchema().load(json_body())
    user = services.authenticate(**credentials)
    with TokenContext(issue_token(user)):
        return {"user": UserSchema().dump(user)}


# operationId: CreateUser
@bp.post("/users")
def create_user() -> ResponseReturnValue:
    """Register a new account and sign it in."""
    fields = NewUserSchema().load(json_body())
    user = services.register_user(**fields)
    with TokenContext(issue_token(user)):
        return {"user": UserSchema().dump(user)}, 201


# operationId: GetCurrentUser
@bp.get("/user")
@login_required
def get_current_user() -> ResponseReturnValue:
    """The signed-in user, echoing the token that was presented."""
    with TokenContext(g.current_token):
        return {"user": UserSchema().dump(g.current_user)}


# operationId: UpdateCurrentUser
@bp.put("/user")
@login_required
def update_current_user() -> ResponseReturnValue:
    """Change any of the signed-in user's fields; an empty object changes nothing."""
    changes = UpdateUserSchema().load(json_body())
    user = services.update_user(user=g.current_user, changes=changes)
    with TokenContext(g.current_token):
        return {"user": UserSchema().dump(user)}
