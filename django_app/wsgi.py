"""WSGI entry point for the production servers (granian django_app.wsgi:application).

Django's application, wrapped in CloseAfterUnreadBody. `runserver` serves Django's own
application instead (WSGI_APPLICATION = None in settings.py): it skips unread request bodies
itself, and its wsgiref handler refuses the hop-by-hop header this wrapper adds.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from wsgiref.types import InputStream, StartResponse, WSGIApplication, WSGIEnvironment

from django.core.wsgi import get_wsgi_application

if TYPE_CHECKING:
    from _typeshed import OptExcInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_app.settings")


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
    granian closes it at once. (gunicorn drops the header: see README, "Production server".)
    Flask's create_app and FastAPI's main.py do the same.
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


application = CloseAfterUnreadBody(get_wsgi_application())
