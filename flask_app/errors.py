"""The error shape: the one module that builds `{"errors": {"<key>": ["<message>"]}}` bodies.

Services and decorators raise the exceptions defined here (or marshmallow's ValidationError, or
werkzeug's HTTP exceptions); the handlers registered by `register_error_handlers` turn each
into a JSON response. Nothing else in the app writes an error body.
"""

from collections.abc import Iterable, Mapping

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import RateLimitExceeded
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from flask_app.throttling import retry_after

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


class DatabaseUnavailableError(APIError):
    """503: the database did not answer."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__({"database": ["is unavailable"]})


# Werkzeug raises these while routing or reading the body; each gets the spec's message.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("request", "is not valid JSON"),
    404: ("route", "not found"),
    405: ("method", "not allowed"),
    411: ("request", "needs a Content-Length"),
    413: ("request", "is too large"),
    415: ("request", "must be application/json"),
    429: ("request", "too many attempts, try again later"),
    500: ("server", "internal error"),
}


def one_line(errors: ErrorMap) -> str:
    """The messages as one line (`username has already been taken; email is invalid`), for the
    admin's pages and the CLI, which show errors to a person rather than in a body."""
    return "; ".join(f"{key} {' '.join(messages)}" for key, messages in errors.items())


def error_response(
    status: int, errors: ErrorMap, headers: Mapping[str, str] | None = None
) -> tuple[Response, int, Mapping[str, str]]:
    """Build the JSON error response; every error in the app goes through here."""
    return jsonify({"errors": errors}), status, headers or {}


def handle_api_error(error: APIError) -> tuple[Response, int, Mapping[str, str]]:
    """Our own exceptions carry their status, body and headers."""
    return error_response(error.status_code, error.errors, error.headers)


def handle_validation_error(error: ValidationError) -> tuple[Response, int, Mapping[str, str]]:
    """Marshmallow messages are already keyed by field, one message per field."""
    return error_response(422, error.messages_dict)


def handle_http_exception(error: HTTPException) -> tuple[Response, int, Mapping[str, str]]:
    """Routing and body-reading failures (unknown route, wrong method, bad or big body)."""
    status = error.code or 500
    key, message = HTTP_ERRORS.get(status, ("request", (error.name or "error").lower()))
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, {key: [message]}, headers)


# The database refused or lost the connection, ran out of pooled connections or (SQLite) kept its
# lock too long: nothing is wrong with the request, so the client gets a 503 it can retry.
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
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


def handle_database_error(error: Exception) -> tuple[Response, int, Mapping[str, str]]:
    """503 in the spec's shape for an outage (a warning: not a bug); any other error is a 500."""
    if not is_database_outage(error):
        return handle_unexpected_error(error)
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(error).__name__
    )
    return handle_api_error(DatabaseUnavailableError())


def handle_rate_limit_exceeded(
    error: RateLimitExceeded,
) -> tuple[Response, int, Mapping[str, str]]:
    """429 from Flask-Limiter (throttling.py), with the seconds until a retry can succeed."""
    key, message = HTTP_ERRORS[429]
    return error_response(429, {key: [message]}, {"Retry-After": str(retry_after())})


def handle_unexpected_error(error: Exception) -> tuple[Response, int, Mapping[str, str]]:
    """Log the traceback, never send it."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    key, message = HTTP_ERRORS[500]
    return error_response(500, {key: [message]})


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; the most specific exception class wins, as Flask resolves by MRO."""
    app.register_error_handler(APIError, handle_api_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(sa_exc.SQLAlchemyError, handle_database_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit_exceeded)
    app.register_error_handler(Exception, handle_unexpected_error)
