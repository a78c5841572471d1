"""The error shape: the one place that builds `{"errors": {"<key>": ["<message>"]}}` bodies.

Views, serializers and services raise; `exception_handler` (DRF's EXCEPTION_HANDLER) turns what
they raise into a response, and the Django handlers below do the same for what happens outside
DRF (unknown routes, crashes). Validation is 422, never DRF's 400; each field reports one message.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

Errors = dict[str, list[str]]


class UnauthorizedError(exceptions.AuthenticationFailed):
    """401: the Authorization header is there but its token is bad (one reason for every cause).

    A missing token is DRF's own NotAuthenticated, raised by the permission check.
    """

    def __init__(self, reason: str) -> None:
        super().__init__({"token": [reason]})


class InvalidCredentialsError(exceptions.APIException):
    """401: unknown email or wrong password (one message for both).

    Not an AuthenticationFailed: Login takes no credentials header (no authenticators), and DRF
    turns AuthenticationFailed into a 403 on such views.
    """

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = {"credentials": ["invalid"]}


class ForbiddenError(exceptions.PermissionDenied):
    """403: the caller is not the author of the resource."""

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["forbidden"]})


class NotFoundError(exceptions.NotFound):
    """404 for a named resource: article, profile or comment."""

    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["not found"]})


class ConflictError(exceptions.APIException):
    """409: unique fields (username, email) that another account already uses."""

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__({field: ["has already been taken"] for field in fields})


class UnprocessableError(exceptions.APIException):
    """422 for a rule only the domain can check (following yourself); the body itself was valid."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self, key: str, message: str) -> None:
        super().__init__({key: [message]})


class LengthRequiredError(exceptions.APIException):
    """411 for a body of undeclared length (`Transfer-Encoding: chunked`), which Django reads
    as empty (it reads CONTENT_LENGTH bytes) and its development server cannot de-chunk."""

    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "needs a Content-Length"


class DatabaseUnavailableError(exceptions.APIException):
    """503: the database did not answer (the health check, or any request during an outage)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = {"database": ["is unavailable"]}


# Errors for exceptions raised with DRF's own string detail, by class (first match wins).
DEFAULT_ERRORS: list[tuple[type[exceptions.APIException], Errors]] = [
    (exceptions.NotAuthenticated, {"token": ["is missing"]}),
    (exceptions.AuthenticationFailed, {"token": ["is invalid"]}),
    (exceptions.ParseError, {"request": ["is not valid JSON"]}),
    (exceptions.UnsupportedMediaType, {"request": ["must be application/json"]}),
    (exceptions.MethodNotAllowed, {"method": ["not allowed"]}),
    (exceptions.NotFound, {"route": ["not found"]}),
    (exceptions.PermissionDenied, {"request": ["forbidden"]}),
    # A throttle of throttling.py refused the request; Retry-After says for how long.
    (exceptions.Throttled, {"request": ["too many attempts, try again later"]}),
]
TOO_LARGE: Errors = {"request": ["is too large"]}


def errors_of(exc: exceptions.APIException) -> Errors:
    """The `errors` object for an API exception, keeping the first message of each field."""
    if isinstance(exc.detail, dict):
        return {
            key: [str(messages[0] if isinstance(messages, list) else messages)]
            for key, messages in exc.detail.items()
        }
    for exception_class, errors in DEFAULT_ERRORS:
        if isinstance(exc, exception_class):
            return errors
    return {"request": [str(exc.detail)]}


def not_found(view: object) -> exceptions.NotFound:
    """The 404 for an Http404, which only GenericAPIView.get_object raises: its row was not found.

    Named after the view's model, as IsAuthorOrReadOnly names its 403 after the object's.
    """
    queryset = getattr(view, "queryset", None)
    if isinstance(queryset, QuerySet):
        return NotFoundError(str(queryset.model._meta.model_name))
    return exceptions.NotFound()


# The database refused or lost the connection (down, restarting, out of connections) or, on
# SQLite, kept its lock too long: nothing is wrong with the request, so a 503 the client can retry.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER; None lets an unexpected error reach Django's 500 handler."""
    if isinstance(exc, RequestDataTooBig):
        # Raised lazily by Django when a view first reads a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
        return Response({"errors": TOO_LARGE}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        logger.warning(
            "database unavailable on %s: %s", context["request"].path, type(exc).__name__
        )
        exc = DatabaseUnavailableError()
    elif isinstance(exc, Http404):
        exc = not_found(context.get("view"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    # Every 401 carries the API's one challenge, every 429 the seconds to wait.
    headers = {"WWW-Authenticate": "Token"} if exc.status_code == 401 else {}
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(max(1, getattr(exc, "wait", None) or 1))
    # Validation failures are 422 Unprocessable Content; DRF's ValidationError says 400.
    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    return Response({"errors": errors_of(exc)}, status=status_code, headers=headers)


def error_response(errors: Errors, status_code: int) -> JsonResponse:
    """An error body for the Django-level handlers, which run outside DRF."""
    return JsonResponse(
        {"errors": errors}, status=status_code, json_dumps_params={"separators": (",", ":")}
    )


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    """handler400: a request Django itself refused before any view ran."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(TOO_LARGE, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return error_response({"request": ["is invalid"]}, status.HTTP_400_BAD_REQUEST)


def route_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    """handler404: no URL pattern matches the path."""
    return error_response({"route": ["not found"]}, status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> JsonResponse:
    """handler500: Django has already logged the traceback; the body never leaks it."""
    return error_response({"server": ["internal error"]}, status.HTTP_500_INTERNAL_SERVER_ERROR)
