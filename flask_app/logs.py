"""Request logs: one JSON line per request, the request id, and the log format.

`init_request_logs` gives every request an id (the client's `X-Request-ID` when it is sane,
else a fresh uuid4 hex), echoes it on every response, errors included, and logs one record
per request on the `conduit.request` logger: method, route (the matched rule, written as the
spec writes paths: `/api/articles/{slug}`, so lines aggregate), raw path, status, duration_ms,
request_id and user_id. Any record logged while a request runs, such as the traceback of an
unhandled error, carries the request id too. Records list chosen fields only, never headers or
bodies, so no password, token or Authorization header can reach a log.

`configure_logging` sends every logger's records to stderr as JSON (LOG_FORMAT=json, the
default) or as text lines (LOG_FORMAT=text), at LOG_LEVEL. The Werkzeug development server's
access lines are silenced: the request record replaces them.
"""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from flask import Flask, Response, g, request

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


@lru_cache(maxsize=256)
def route_template(rule: str) -> str:
    """A Werkzeug rule as the spec writes paths: `/api/articles/<slug>` becomes
    `/api/articles/{slug}`."""
    return re.sub(r"<(?:[^<>:]+:)?(\w+)>", r"{\1}", rule)


def _log_request(response: Response) -> Response:
    """after_request: echo the request id and log the request's one record."""
    if "request_id" not in g:  # a before_request hook registered earlier answered
        _start_request()
    request_id = g.request_id
    response.headers[REQUEST_ID_HEADER] = request_id
    status = response.status_code
    route = route_template(request.url_rule.rule) if request.url_rule else None
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
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 2),
                "user_id": g.get("current_user_id"),
            }
        },
    )
    return response


def _start_request() -> None:
    """before_request: the request's id and start time, and the id for every record it logs."""
    g.request_started = time.perf_counter()
    g.request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(g.request_id)


def _end_request(_error: BaseException | None) -> None:
    """teardown_request: records logged after this request belong to no request."""
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def init_request_logs(app: Flask) -> None:
    """Register the hooks; called first in create_app so the id is set before other hooks run."""
    app.before_request(_start_request)
    app.after_request(_log_request)
    app.teardown_request(_end_request)


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
    # Werkzeug logs each request at INFO from its development server: the request record
    # replaces those lines, and its warnings and errors still come through.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
