"""The error shape. Every error body is built here: `{"errors": {"<key>": ["<message>"]}}`.

Services and dependencies raise the APIError subclasses below (the same classes as in the
other two apps); FastAPI's own errors (validation, unknown route, wrong method, a body it
cannot read) and unexpected exceptions are translated by the handlers that
`install_error_handlers` registers. Nothing else in the app writes an error body.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_app.schemas import GenericErrorModel, one_message_per_field

logger = logging.getLogger(__name__)

ErrorMap = Mapping[str, list[str]]


class APIError(Exception):
    """An expected failure with its HTTP status and the per-key messages to send."""

    status_code: int
    headers: Mapping[str, str] = {}

    def __init__(self, errors: ErrorMap) -> None:
        super().__init__(errors)
        self.errors = errors


class UnauthorizedError(APIError):
    """401 for a missing or bad token (`{"token": ["is missing"]}` or `["is invalid"]`)."""

    status_code = 401
    headers = {"WWW-Authenticate": "Token"}

    def __init__(self, reason: str) -> None:
        super().__init__({"token": [reason]})


class InvalidCredentialsError(APIError):
    """401 for a failed login; the same body whether the email or the password was wrong."""

    status_code = 401
    headers = {"WWW-Authenticate": "Token"}

    def __init__(self) -> None:
        super().__init__({"credentials": ["invalid"]})


class ForbiddenError(APIError):
    """403: the caller is authenticated but is not the author of `resource`."""

    status_code = 403

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["forbidden"]})


class NotFoundError(APIError):
    """404 for an unknown article, profile or comment."""

    status_code = 404

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["not found"]})


class ConflictError(APIError):
    """409: each field in `fields` holds a value another account already uses."""

    status_code = 409

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__({field: ["has already been taken"] for field in fields})


class UnprocessableError(APIError):
    """422 for a rule only the domain can check, such as following yourself."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [message]})


class TooManyRequestsError(APIError):
    """429: a rate limit of throttling.py is reached; try again in `retry_after` seconds."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__({"request": ["too many attempts, try again later"]})
        self.headers = {"Retry-After": str(retry_after)}


class DatabaseUnavailableError(APIError):
    """503: the database did not answer."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__({"database": ["is unavailable"]})


# Starlette and FastAPI raise these while routing or reading the body; each gets the spec's
# message (FastAPI's 400 is its "There was an error parsing the body").
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("request", "is not valid JSON"),
    404: ("route", "not found"),
    405: ("method", "not allowed"),
    411: ("request", "needs a Content-Length"),
    413: ("request", "is too large"),
    415: ("request", "must be application/json"),
    500: ("server", "internal error"),
}


# What each error status means, documented with the spec's description and example bodies.
# Each handler declares its statuses with `responses=error_responses(...)`, the set the spec
# gives it, and FastAPI adds the GenericErrorModel schema to each.
def _documented(description: str, **examples: ErrorMap) -> dict[str, Any]:
    bodies = {name: {"errors": errors} for name, errors in examples.items()}
    content: dict[str, Any]
    if len(bodies) == 1:
        content = {"example": next(iter(bodies.values()))}
    else:
        content = {"examples": {name: {"value": body} for name, body in bodies.items()}}
    return {
        "model": GenericErrorModel,
        "description": description,
        "content": {"application/json": content},
    }


ERROR_RESPONSES: dict[int, dict[str, Any]] = {
    400: _documented("The body is not valid JSON.", invalid={"request": ["is not valid JSON"]}),
    401: {
        **_documented(
            "Missing or bad token (`is invalid`, whatever the reason), or wrong credentials at"
            " login.",
            missing={"token": ["is missing"]},
            invalid={"token": ["is invalid"]},
            credentials={"credentials": ["invalid"]},
        ),
        "headers": {
            "WWW-Authenticate": {
                "required": True,
                "description": "Always `Token`.",
                "schema": {"type": "string"},
            }
        },
    },
    403: _documented(
        "Only the author may do this. The key names the resource.",
        forbidden={"article": ["forbidden"]},
    ),
    404: _documented(
        "Unknown resource. The key names it (article, profile, comment).",
        unknown={"article": ["not found"]},
    ),
    409: _documented(
        "The username or email is already taken (one key per taken field).",
        taken={"username": ["has already been taken"]},
    ),
    413: _documented("The request body is over 1 MiB.", too_large={"request": ["is too large"]}),
    415: _documented(
        "The body was not sent as application/json.",
        not_json={"request": ["must be application/json"]},
    ),
    422: _documented(
        "Validation failed; one message per failing field.", invalid={"title": ["can't be blank"]}
    ),
    429: {
        **_documented(
            "Too many attempts from this client address, or too many failed logins for this "
            "account.",
            too_many={"request": ["too many attempts, try again later"]},
        ),
        "headers": {
            "Retry-After": {
                "required": True,
                "description": "Seconds until an attempt may succeed again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    503: _documented("The database does not answer.", unavailable={"database": ["is unavailable"]}),
}
# What can go wrong with a JSON request body, before and while it is validated.
BODY_ERRORS = (400, 413, 415, 422)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a handler: the documented errors it can answer with, in order."""
    return {status: ERROR_RESPONSES[status] for status in sorted(statuses)}


def drop_generated_validation_errors(document: dict[str, Any]) -> None:
    """Remove from a generated document the 422 FastAPI adds to every operation that has
    parameters, with a body (HTTPValidationError) this app never sends: validation failures
    get the spec's body, and each handler documents the errors it answers with."""
    generated = {"$ref": "#/components/schemas/HTTPValidationError"}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if (
                responses.get("422", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
                == generated
            ):
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def error_response(
    status: int, errors: ErrorMap, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Build the JSON error response; every error in the app goes through here."""
    return JSONResponse({"errors": dict(errors)}, status_code=status, headers=headers)


def _http_error_response(status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    key, message = HTTP_ERRORS[status]
    return error_response(status, {key: [message]}, headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(exc.status_code, exc.errors, exc.headers)


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own body and parameter checks, in the spec's order: a body that is not JSON
    (400; also an empty one), then one not declared as JSON (415: FastAPI's strict Content-Type
    check leaves it as raw bytes, which fail validation), then the field rules (422)."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return _http_error_response(400)
    if isinstance(exc.body, bytes):
        return _http_error_response(415)
    if any(error["type"] == "missing" and tuple(error["loc"]) == ("body",) for error in errors):
        return _http_error_response(400)
    return error_response(422, one_message_per_field(errors))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Routing and body-reading failures: unknown route, wrong method (keeping its Allow
    header), a body FastAPI could not parse (400) or one over the size limit (413)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in HTTP_ERRORS:
        return _http_error_response(exc.status_code, exc.headers)
    return error_response(exc.status_code, {"request": [str(exc.detail).lower()]}, exc.headers)


# The database refused or lost the connection, ran out of pooled connections or (SQLite) kept its
# lock too long: nothing is wrong with the request, so the client gets a 503 it can retry.
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    # SQLAlchemy wraps what asyncpg raises while executing, not while connecting: a refused or
    # reset socket, or the server's own refusal while it starts or stops, arrives unwrapped.
    OSError,
    asyncpg.PostgresError,
)


def is_database_outage(exc: BaseException | None) -> bool:
    """A lost or refused connection, also when it surfaces as a later error (a connection that
    died mid-query makes the rollback after it fail too, with the first error as its context)."""
    while exc is not None:
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return True
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 in the spec's shape for an outage (a warning: not a bug); any other error is a 500."""
    if not is_database_outage(exc):
        return await _unexpected_error(request, exc)
    logger.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    unavailable = DatabaseUnavailableError()
    return error_response(unavailable.status_code, unavailable.errors)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _http_error_response(500)


class InternalErrorMiddleware:
    """Answer unexpected exceptions with the JSON 500 *inside* the CORS middleware.

    Starlette sends a 500 from its outermost ServerErrorMiddleware, outside every user
    middleware, so that response would lack the CORS headers. This middleware is added first
    (innermost), catches what the exception handlers left, logs it and answers with the 500 body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracking(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if response_started:
                raise
            logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=exc)
            await _http_error_response(500)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error response the `{"errors": ...}` shape
    (main.py also adds InternalErrorMiddleware)."""
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for database_error in (sa_exc.SQLAlchemyError, *DATABASE_UNAVAILABLE):
        app.add_exception_handler(database_error, _database_error)
    # Last resort, used by Starlette's ServerErrorMiddleware if InternalErrorMiddleware is bypassed.
    app.add_exception_handler(Exception, _unexpected_error)
