"""Conduit (RealWorld API) in Flask: the application factory."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask.logging import default_handler
from flask_cors import CORS
from werkzeug.wsgi import LimitedStream

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
    app.after_request(close_after_unread_body)
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


def close_after_unread_body(response: Response) -> Response:
    """`Connection: close` on a response that goes out before the request's body was read to
    its end: a 413 or 411, a 401 or 404 that needed no body.

    The server cannot read the next request on that connection until it has skipped the rest
    of the body. granian closes the connection instead, after the response has gone, without
    saying so, and a keep-alive client that sent its next request there meanwhile got no
    answer at all. With the header the client opens a new connection for its next request.
    (gunicorn drops the header, and Werkzeug's development server closes every connection.)
    Django's wsgi.py and FastAPI's RequestBodyMiddleware do the same.
    """
    declared = request.content_length or 0
    limit = request.max_content_length
    if "Transfer-Encoding" in request.headers or (limit is not None and declared > limit):
        unread = True  # a 411, or a 413 for the declared size: request.stream would raise it
    else:
        # Its position, not is_exhausted: under granian (wsgi.input_terminated) the stream is
        # limited by MAX_CONTENT_LENGTH, not by the declared length.
        stream = request.stream
        unread = declared > 0 and isinstance(stream, LimitedStream) and stream.tell() < declared
    if unread:
        response.headers["Connection"] = "close"
    return response
