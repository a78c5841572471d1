"""Request dependencies: settings, the database session and the caller.

FastAPI reads and parses a handler's body before it solves these and validates it after: a
body over 1 MiB (413) or not JSON (400) is refused even without a token, which the spec
allows, while a missing or bad token (401) comes before a wrong Content-Type (415, found by
validation) and before any 422, which the spec requires.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fastapi_app.config import Settings
from fastapi_app.errors import UnauthorizedError
from fastapi_app.models import User
from fastapi_app.security import (
    TokenInvalidError,
    changed_the_password,
    decode_access_token,
    stamp_matches,
)


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests pass their own to create_app)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one session (the caller is loaded in it too), closed afterwards; what was
    not committed is rolled back."""
    async with request.app.state.sessions() as session:
        yield session


# scope="function": the session closes when the handler has returned and its response is built,
# before the response is sent, so the worker's connection (db.py) goes back to the pool before
# a slow client is served.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

# auto_error=False: the header is parsed below so that every 401 has the API's body. The
# document calls it the spec's `Token` scheme, an apiKey: Swagger UI's Authorize button then
# sends what the user types (`Token <jwt>`) as it is.
authorization_header = APIKeyHeader(
    name="Authorization",
    scheme_name="Token",
    description="`Token <jwt>`",
    auto_error=False,
)


async def get_token(
    request: Request,
    authorization: Annotated[str | None, Security(authorization_header)],
) -> str | None:
    """The JWT of an `Authorization: Token <jwt>` header (scheme case-insensitive), or None
    when there is no header. Two such headers are a 401, as in the other apps (whose WSGI
    servers join them into one value no scheme parses): which one names the caller is not the
    app's guess, and Starlette's `headers[...]` would silently take the first."""
    if len(request.headers.getlist("authorization")) > 1:
        raise UnauthorizedError("is invalid")
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        raise UnauthorizedError("is invalid")
    return token.strip()


# The caller's row, one statement built once: session.get() would build its SELECT (and the
# cache key SQLAlchemy looks its compiled SQL up by) on every request; see services.py.
USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


async def get_optional_user(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(get_token)],
    settings: SettingsDep,
) -> User | None:
    """The caller, or None for an anonymous request. A token that is present but bad (expired,
    forged, naming no user, issued before a password change it did not make itself) is the one
    401 "is invalid", never a silent downgrade to anonymous. The caller's id stays in the
    request's state for the request log (logs.py)."""
    if token is None:
        return None
    try:
        claims = decode_access_token(token, settings)
    except TokenInvalidError:
        raise UnauthorizedError("is invalid") from None
    user = await session.scalar(USER_BY_ID, {"user_id": claims.user_id})
    if user is None:
        raise UnauthorizedError("is invalid")
    if not (stamp_matches(claims, user, settings) or changed_the_password(token, user)):
        raise UnauthorizedError("is invalid")
    request.state.user_id = user.id
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]

# The `openapi_extra=` of a handler taking an OptionalUser: FastAPI documents each Security
# dependency as required, and this adds the alternative of no token at all ({}).
TOKEN_OPTIONAL: dict[str, Any] = {"security": [{}]}


async def get_current_user(user: OptionalUser) -> User:
    """The caller of an endpoint that requires authentication."""
    if user is None:
        raise UnauthorizedError("is missing")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_token(
    _user: CurrentUser, token: Annotated[str | None, Depends(get_token)]
) -> str:
    """The token an authenticated request presented (GetCurrentUser/UpdateCurrentUser echo it)."""
    assert token is not None
    return token


CurrentToken = Annotated[str, Depends(get_current_token)]
