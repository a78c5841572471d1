"""Request logs: one JSON line per request, the request id, and the log format.

`RequestLogMiddleware`, a pure ASGI middleware (BaseHTTPMiddleware would cost a task and a
stream per request), gives every request an id (the client's `X-Request-ID` when it is sane,
else a fresh uuid4 hex), echoes it on every response, errors included, and logs one record per
request on the `conduit.request` logger: method, route (the matched route's path, as the spec
writes paths: `/api/articles/{slug}`, so lines aggregate), raw path, status, duration_ms,
request_id and user_id (which dependencies.py leaves in the request's state). Any record logged
while a request runs, such as the traceback of an unhandled error, carries the request id too.
Records list chosen fields only, never headers or bodies, so no password, token or
Authorization header can reach a log.

`configure_logging` sends every logger's records to stderr as JSON (LOG_FORMAT=json, the
default) or as text lines (LOG_FORMAT=text), at LOG_LEVEL; uvicorn's own records included,
except its access lines, which the request record replaces.
"""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept when it is 1-128 of these characters (a uuid, a trace id, base64).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
logger = logging.getLogger("conduit.request")


def accepted_request_id(header: str | None) -> str:
    """The client's request id when it is sane, otherwise a new one (uuid4 hex)."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _route_of(scope: Scope) -> str | None:
    """The matched route's path with the prefixes it was included or mounted under.

    Since FastAPI 0.137, `scope["route"]` is the route as its own APIRouter declared it (no
    include_router prefix); the prefixed path is in the request's effective route context,
    where FastAPI's telemetry and Sentry's integration read it too. A Mount's sub-app (the
    admin) sets its own route, under the Mount's path (its root_path)."""
    context = scope.get("fastapi", {}).get("effective_route_context")
    if context is not None:  # as FastAPI's telemetry reads it (a Mount's path ends in /{path})
        return str(getattr(context.starlette_route, "path_format", None) or context.path_format)
    route = scope.get("route")
    if route is None:
        return None
    prefix = scope.get("root_path", "").removeprefix(scope.get("app_root_path", ""))
    if isinstance(route, Mount):  # a mounted app that routes nothing itself (static files)
        return f"{prefix}/{{path}}"
    return f"{prefix}{route.path_format}"


def _request_id_header(scope: Scope) -> str | None:
    """The one X-Request-ID header; None when there is none, or several (refused, as the WSGI
    apps refuse the comma-joined value their servers make of several)."""
    found = [value for name, value in scope["headers"] if name == b"x-request-id"]
    return found[0].decode("latin-1") if len(found) == 1 else None


class RequestLogMiddleware:
    """The request id on every response and one record per request; added last in create_app,
    so it is the outermost middleware and sees the status the client gets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = accepted_request_id(_request_id_header(scope))
        # Reset afterwards: a test client may run the app in the caller's own task.
        request_id_token = request_id_var.set(request_id)
        status: int | None = None
        logged = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Logged before the last byte goes out, as the WSGI apps log before they
                # answer: a client that has its answer finds the record written.
                logged = True
                _log_request(scope, status or 500, started)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not logged:  # no complete response: an error, or the client went away
                _log_request(scope, status or 500, started)
            request_id_var.reset(request_id_token)


def _log_request(scope: Scope, status: int, started: float) -> None:
    """The request's one record; the caller's id is what dependencies.py left in its state."""
    route = _route_of(scope)
    logger.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "%s %s %d",
        scope["method"],
        route or scope["path"],
        status,
        extra={
            "fields": {
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": scope.get("state", {}).get("user_id"),
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


class StderrHandler(logging.Handler):
    """Writes each record as one line to whatever sys.stderr is at the time (as the standard
    library's last-resort handler does), so a stream replaced later, such as a test runner's
    capture, is followed. Python's stderr is line-buffered, so every line is written at once."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure_logging(*, level: str, log_format: str) -> None:
    """Every logger's records to stderr in `log_format` at `level`. Idempotent: creating the
    app again (tests) replaces the handler it installed instead of adding a second one."""
    handler = StderrHandler()
    handler.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn gave its loggers handlers of their own before it imported the app; its records
    # join the others in the one format, and its access lines give way to the request record.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
