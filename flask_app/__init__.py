"""Conduit (RealWorld API) in Flask: the application factory."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from wsgiref.types import InputStream, StartResponse, WSGIApplication, WSGIEnvironment

from flask import Flask, Response
from flask.logging import default_handler
from flask_cors import CORS

from flask_app import openapi
from flask_app.admin import init_admin
from flask_app.commands import create_staff_command, seed_command
from flask_app.config import Config, check_production
from flask_app.errors import register_error_handlers
from flask_app.extensions import close_sessions_quietly, configure_sqlite, db, migrate
from flask_app.logs import configure_logging, init_request_logs
from flask_app.schemas import StrictJSONProvider
from flask_app.throttling import init_limits
from flask_app.views import articles, comments, docs, health, home, profiles, tags, users

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment; `config` overrides settings (tests)."""
    # No app-wide static folder: views/docs.py and Flask-Admin serve their own files.
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(Config().as_dict())
    app.config.from_mapping(openapi.SETTINGS)
    if config:
        app.config.from_mapping(config)
    check_production(app.config)
    configure_logging(level=app.config["LOG_LEVEL"], log_format=app.config["LOG_FORMAT"])
    # The app logger's records go to the root handler that configure_logging installed.
    app.logger.removeHandler(default_handler)
    init_request_logs(app)
    app.json = StrictJSONProvider(app)

    db.init_app(app)
    close_sessions_quietly(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    with app.app_context():
        configure_sqlite(db.engine)

    origins = app.config["CORS_ALLOWED_ORIGINS"]
    CORS(
        app,
        resources={r"/api/*": {"origins": "*" if origins == ["*"] else origins}},
        send_wildcard=True,  # answer "*" rather than echoing the Origin when any is allowed
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        supports_credentials=False,
    )
    init_limits(app)
    register_error_handlers(app)
    app.after_request(forbid_content_sniffing)
    # Wrapping wsgi_app is Flask's documented way to add WSGI middleware; mypy sees a method.
    app.wsgi_app = CloseAfterUnreadBody(app.wsgi_app)  # type: ignore[method-assign]
    # The API's Blueprints, registered through flask-smorest, which documents them.
    api = openapi.Api(app)
    for module in (users, profiles, articles, comments, tags):
        api.register_blueprint(module.bp, url_prefix="/api")
    api.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(home.bp)
    init_admin(app)
    app.cli.add_command(seed_command)
    app.cli.add_command(create_staff_command)
    return app


def forbid_content_sniffing(response: Response) -> Response:
    """Every response says `X-Content-Type-Options: nosniff`, so no browser takes a JSON body
    (or an error page) for HTML or script; Django's SecurityMiddleware does the same."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class CountedInput:
    """The request body stream (`wsgi.input`), counting the bytes the app has read of it."""

    def __init__(self, stream: InputStream) -> None:
        self.stream = stream
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self.stream.read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int = -1, /) -> bytes:
        line = self.stream.readline(size)
        self.bytes_read += len(line)
        return line

    def readlines(self, hint: int = -1, /) -> list[bytes]:
        lines = self.stream.readlines(hint)
        self.bytes_read += sum(map(len, lines))
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class CloseAfterUnreadBody:
    """WSGI middleware: `Connection: close` on a response that goes out before the request's
    body was read to its end: a 413 or 411, a 401 or 404 that needed no body.

    The server cannot read the next request on that connection until it has skipped the rest
    of the body. granian closes the connection instead, after the response has gone, without
    saying so; a keep-alive client that sent its next request there meanwhile gets no answer
    at all. With the header the client opens a new connection for its next request, and
    granian closes it at once. (gunicorn drops the header but skips the rest of the body
    itself; Werkzeug's development server closes every connection.) Django's wsgi.py and
    FastAPI's main.py do the same.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = "HTTP_TRANSFER_ENCODING" in environ
        if not (chunked or (declared.isdigit() and declared.strip("0"))):
            return self.app(environ, start_response)
        # A length past 18 digits can never be read to its end.
        length = int(declared) if declared.isdigit() and len(declared) <= 18 else -1
        body = environ["wsgi.input"] = CountedInput(environ["wsgi.input"])

        def start_response_closing_if_unread(
            status: str, headers: list[tuple[str, str]], exc_info: "OptExcInfo | None" = None, /
        ) -> Callable[[bytes], object]:
            if chunked or length < 0 or body.bytes_read < length:
                headers = [*headers, ("Connection", "close")]
            return start_response(status, headers, exc_info)

        return self.app(environ, start_response_closing_if_unread)
