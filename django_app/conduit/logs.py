"""Request logs: one JSON line per request, the request id, and the log formats.

`RequestLogMiddleware`, first in MIDDLEWARE, gives every request an id (the client's
`X-Request-ID` when it is sane, else a fresh uuid4 hex), echoes it on every response, errors
included, and logs one record per request on the `conduit.request` logger: method, route (the
matched URL pattern, written as the spec writes paths: `/api/articles/{slug}`, so lines
aggregate), raw path, status, duration_ms, request_id and user_id. Any record logged while a
request runs, such as Django's traceback of an unhandled error, carries the request id too.
Records list chosen fields only, never headers or bodies, so no password, token or
Authorization header can reach a log.

The formatters are named in settings.LOGGING: JSON (LOG_FORMAT=json, the default) or text
lines (LOG_FORMAT=text), at LOG_LEVEL; runserver's access lines are silenced there, as the
request record replaces them.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept when it is 1-128 of these characters (a uuid, a trace id, base64).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
logger = logging.getLogger("conduit.request")


def accepted_request_id(header: str | None) -> str:
    """The client's request id when it is sane, otherwise a new one (uuid4 hex)."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@lru_cache(maxsize=256)
def route_template(route: str) -> str:
    """A URL pattern as the spec writes paths: `api/articles/<slug:slug>` becomes
    `/api/articles/{slug}`."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


class RequestLogMiddleware:
    """The request id on every response and one record per request. Django turns an unhandled
    error into its 500 response (and logs the traceback) inside the middleware below this one,
    so every request reaches the record."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = accepted_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self.log(request, response.status_code, started)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def log(request: HttpRequest, status: int, started: float) -> None:
        """The request's record. The user is the one DRF authenticated (it sets the request's
        user), or the admin's session user; an anonymous caller has no id."""
        match = request.resolver_match
        route = route_template(match.route) if match is not None else None
        user_id = getattr(getattr(request, "user", None), "pk", None)
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %d",
            request.method,
            route or request.path,
            status,
            extra={
                "fields": {
                    "method": request.method,
                    "route": route,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": user_id,
                }
            },
        )


class JSONFormatter(logging.Formatter):
    """One JSON object per record: timestamp (UTC), level, logger, message, request_id, the
    request record's fields, and the traceback of an exception as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", ()))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """A line for a person at a terminal: time, level, logger, request id, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        extra = "".join(f" {key}={value}" for key, value in fields.items())
        line = (
            f"{_timestamp(record)} {record.levelname} {record.name} "
            f"[{request_id_var.get() or '-'}] {record.getMessage()}{extra}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"
