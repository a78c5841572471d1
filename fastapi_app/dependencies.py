"""Request dependencies: settings, the database session, the caller, and JSON request bodies.

FastAPI solves a handler's dependencies in the order its parameters are declared, so handlers
list `CurrentUser` before their `json_body(...)` parameter: a missing token is reported (401)
before anything about the body (415/413/400, then 422).
"""

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

from fastapi import Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from fastapi_app.config import Settings
from fastapi_app.errors import (
    MalformedJSONError,
    RequestTooLargeError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from fastapi_app.models import User
from fastapi_app.security import (
    TokenExpiredError,
    TokenInvalidError,
    decode_access_token,
)

MAX_BODY_BYTES = 1024 * 1024

ModelT = TypeVar("ModelT", bound=BaseModel)


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests pass their own to create_app)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session, closed (and rolled back if uncommitted) afterwards. Requests that
    may change data get a writing session (on SQLite its transactions take the write lock as
    they begin, see db.py)."""
    state = request.app.state
    sessions = state.sessions if request.method in SAFE_METHODS else state.write_sessions
    async with sessions() as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session that only reads, for the one POST that changes nothing (Login): it must not
    hold the write lock while the password hash is checked."""
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]

# auto_error=False: the header is parsed below so that every 401 has the API's body.
authorization_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="`Token <jwt>` (`Bearer <jwt>` is accepted too)",
)


async def get_token(
    authorization: Annotated[str | None, Security(authorization_header)],
) -> str | None:
    """The JWT of an `Authorization: Token <jwt>` header (scheme case-insensitive), or None
    when there is no header."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        raise UnauthorizedError("token", "is invalid")
    return token.strip()


async def get_optional_user(
    request: Request, token: Annotated[str | None, Depends(get_token)], settings: SettingsDep
) -> User | None:
    """The caller, or None for an anonymous request. A token that is present but bad is a 401,
    never a silent downgrade to anonymous.

    The user is read in a short session of its own, so that a writing request's transaction
    (and on SQLite its write lock) starts only when the handler's service runs, after the body
    has been received and validated. Services re-attach the user if they change it."""
    if token is None:
        return None
    try:
        user_id = decode_access_token(token, settings)
    except TokenExpiredError:
        raise UnauthorizedError("token", "has expired") from None
    except TokenInvalidError:
        raise UnauthorizedError("token", "is invalid") from None
    async with request.app.state.sessions() as session:
        user = await session.get(User, user_id)
    if user is None:
        raise UnauthorizedError("token", "is invalid")
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    """The caller of an endpoint that requires authentication."""
    if user is None:
        raise UnauthorizedError("token", "is missing")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_token(
    _user: CurrentUser, token: Annotated[str | None, Depends(get_token)]
) -> str:
    """The token an authenticated request presented (GetCurrentUser/UpdateCurrentUser echo it)."""
    assert token is not None
    return token


CurrentToken = Annotated[str, Depends(get_current_token)]


def parse_json(raw: bytes) -> Any:
    """The JSON document in a request body, or MalformedJSONError (400).

    Parsed by the standard library rather than `model_validate_json`: Pydantic's parser rejects
    a lone surrogate escape ("\\ud800") as invalid JSON, but the API calls it an invalid string
    (422, schemas.Storable). Invalid UTF-8, NaN and Infinity (which `json` would accept),
    integers past Python's digit limit and nesting past the recursion limit are all 400."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise MalformedJSONError from None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def json_body(model: type[ModelT]) -> Callable[[Request], Coroutine[Any, Any, ModelT]]:
    """A dependency reading the request body as `model`: 415 unless the Content-Type is
    application/json, 413 over 1 MiB, 400 if it is not JSON, 422 if `model` rejects it.

    FastAPI would parse a body parameter before solving any dependency, putting 400/413 before
    401; reading the body in a dependency keeps the brief's order (use with `Depends`).
    """

    async def read_json_body(request: Request) -> ModelT:
        media_type = request.headers.get("content-type", "").partition(";")[0].strip()
        if media_type.lower() != "application/json":
            raise UnsupportedMediaTypeError
        declared_length = request.headers.get("content-length", "")
        if declared_length.isdigit() and int(declared_length) > MAX_BODY_BYTES:
            raise RequestTooLargeError
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise RequestTooLargeError
        try:
            return model.model_validate(parse_json(body))
        except ValidationError as exc:
            errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            raise RequestValidationError(errors) from None

    return read_json_body
