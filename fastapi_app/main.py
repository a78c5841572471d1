"""App assembly: `create_app()` wires settings, database, error handling, CORS and routers
(the API's under /api; the front door, the docs, /health and the admin outside it).

Run with `granian --interface asgi fastapi_app.main:app` (any ASGI server serves it); the
schema comes from `python -m fastapi_app.cli migrate`.
"""

import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fastapi_app.admin import create_admin
from fastapi_app.config import ConfigurationError, Settings, get_settings
from fastapi_app.db import create_engine, create_sessionmaker
from fastapi_app.errors import (
    InternalErrorMiddleware,
    drop_generated_validation_errors,
    install_error_handlers,
)
from fastapi_app.logs import RequestLogMiddleware, configure_logging
from fastapi_app.routers import articles, comments, docs, health, home, profiles, tags, users
from fastapi_app.schemas import MAX_BODY_BYTES, BodySizeLimitMiddleware
from fastapi_app.throttling import RateLimits

# The spec's tags, in its order: the document lists its operations under them.
OPENAPI_TAGS = [
    {"name": "User and Authentication"},
    {"name": "Profile"},
    {"name": "Articles"},
    {"name": "Comments"},
    {"name": "Favorites"},
    {"name": "Tags"},
    {"name": "Health", "description": "Served at the root (`/health`), not under `/api`."},
]


class ConduitAPI(FastAPI):
    """FastAPI, with a document that shows only the errors each handler declares."""

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document (generated once, then cached), without the validation error
        responses it adds on its own (errors.drop_generated_validation_errors says why)."""
        document = super().openapi()
        drop_generated_validation_errors(document)
        return document


class APICORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware for the paths under /api only, as the Flask and Django apps
    scope theirs: the pages outside it are for this host's own browser tabs."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """The methods of the request's path: those of every route with that path, HEAD wherever
    there is GET, and OPTIONS; none if no route has the path (a 404)."""
    methods: set[str] = set()
    # Included routers stay whole in app.routes; iter_route_contexts walks their routes.
    for route in iter_route_contexts(routes):
        if route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    if not methods:
        return []
    return sorted(methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set()))


class HTTPMethodsMiddleware:
    """What Flask's and Django's routers do on their own, and Starlette's, with one route per
    method and path, does not: HEAD served as GET without the body wherever GET is, a plain
    OPTIONS (CORS preflights are answered outside) answered with the path's methods, and a 405
    whose `Allow` lists all of them rather than those of the first route with the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, routes = scope["method"], scope["app"].routes
        if method == "OPTIONS" and (methods := allowed_methods(routes, scope)):
            await Response(headers={"Allow": ", ".join(methods)})(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                headers = MutableHeaders(scope=message)
                headers["Allow"] = ", ".join(allowed_methods(routes, scope))
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        served = scope
        if method == "HEAD" and "GET" in allowed_methods(routes, scope):
            served = {**scope, "method": "GET"}
        await self.app(served, receive, send_with_allow)


class NoSniffMiddleware:
    """`X-Content-Type-Options: nosniff` on every response, so no browser takes a JSON body (or
    an error page) for HTML or script; Django's SecurityMiddleware does the same."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_nosniff if scope["type"] == "http" else send)


def declares_body(headers: Headers) -> bool:
    """Whether a request comes with a body: a nonzero Content-Length, or chunked."""
    length = headers.get("content-length", "")
    return "transfer-encoding" in headers or (length.isdigit() and length.strip("0") != "")


class CloseAfterUnreadBodyMiddleware:
    """`Connection: close` on a response that goes out before the request's body was read to
    its end: a 413 or 411, a 401 or 404 that needed no body, a preflight that carried one.

    The server cannot read the next request on that connection until it has skipped the rest
    of the body. granian closes the connection instead, after the response has gone, without
    saying so; a keep-alive client that sent its next request there meanwhile got no answer
    at all (seen under load in the contract suite). With the header the client opens a new
    connection for its next request, and granian (and uvicorn) close it at once. Flask's
    create_app and Django's wsgi.py do the same.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body_unread = scope["type"] == "http" and declares_body(Headers(scope=scope))
        if not body_unread:
            await self.app(scope, receive, send)
            return

        async def receive_noting_the_end() -> Message:
            nonlocal body_unread
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_unread = False
            return message

        async def send_closing_if_unread(message: Message) -> None:
            if message["type"] == "http.response.start" and body_unread:
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, receive_noting_the_end, send_closing_if_unread)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for `settings` (default: read from the environment)."""
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = ConduitAPI(
        title="Conduit API (three ways)",
        summary="The RealWorld Conduit API (FastAPI implementation)",
        version="2.0.0-three-ways.1",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # Never debug: Starlette's debug 500 page would leak tracebacks in every environment.
        debug=False,
        # /api/users/ is a 404, never a redirect to /api/users.
        redirect_slashes=False,
        # FastAPI's own /docs and /redoc load their assets from a CDN; routers/docs.py serves
        # the same pages with local assets. The schema is FastAPI's, at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = create_sessionmaker(engine)
    app.state.rate_limits = RateLimits(settings)

    install_error_handlers(app)
    # Middleware added last runs first: the request log wraps everything, so it sees (and
    # marks with the request id) every response; CORS wraps the rest, including the 500
    # responses InternalErrorMiddleware produces.
    app.add_middleware(HTTPMethodsMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(
        APICORSMiddleware,
        allow_origins=settings.cors_allowed_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
    )
    app.add_middleware(NoSniffMiddleware)  # outside CORS: on the preflights too
    app.add_middleware(CloseAfterUnreadBodyMiddleware)  # outside every layer that answers
    app.add_middleware(RequestLogMiddleware)
    if settings.trusted_proxies:
        # request.client is the address X-Forwarded-For names when a trusted proxy sends it
        # (servers run with uvicorn's own proxy headers off: the app decides whom to trust).
        app.add_middleware(
            ProxyHeadersMiddleware,
            trusted_hosts=[str(network) for network in settings.trusted_proxies],
        )

    app.include_router(home.router)
    app.include_router(docs.router)
    app.include_router(health.router)
    for module in (users, profiles, articles, comments, tags):
        app.include_router(module.router, prefix="/api")
    create_admin(app, settings, engine)
    return app


def _create_app_or_exit() -> FastAPI:
    """The served app; settings the app cannot start with (say APP_ENV=production without a
    SECRET_KEY) end the process with one line on stderr instead of a traceback. The exit code
    is uvicorn's startup failure, on which its worker supervisor stops rather than respawning
    workers that would fail the same way; granian stops on the crash loop."""
    try:
        return create_app()
    except ConfigurationError as exc:
        print(f"fastapi_app: {exc}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None


app = _create_app_or_exit()
