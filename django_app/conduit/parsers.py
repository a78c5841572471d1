"""Request bytes to data: JSON only, at most 1 MiB, strict; the answer is always JSON.

The envelope inside a body and the fields inside it are the serializers' business.
"""

from collections.abc import Iterable, Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from django_app.conduit.exceptions import LengthRequiredError


class JSONParser(parsers.JSONParser):
    """DRF's strict JSON parser, with nesting too deep for Python also a 400.

    DRF already answers 400 for every ValueError: bad syntax, invalid UTF-8, NaN and Infinity
    (STRICT_JSON), integers past Python's digit limit. Arrays or objects nested thousands deep
    raise RecursionError instead, which DRF would let through as a 500.
    """

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON document; ParseError (400) for anything that is not one."""
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError from error


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Parsers are picked by Content-Type as usual; the answer is JSON whatever Accept says."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        """The first (only) renderer: the API has a single representation, so no 406."""
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


def json_body(request: Request) -> Any:
    """The request's JSON body, for the operations that take one.

    DRF reads an empty body, or one without a Content-Type, as `{}` without asking a parser, so
    this checks what it would skip, in the spec's order: 415 unless the Content-Type is
    application/json (a charset parameter is fine), 413 past DATA_UPLOAD_MAX_MEMORY_SIZE (raised
    by Django while reading), 400 if empty or not valid JSON (JSONParser); before all of them, 411
    for a chunked body, which Django would read as empty.
    """
    if "HTTP_TRANSFER_ENCODING" in request.META:
        raise LengthRequiredError
    media_type = request.content_type.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(media_type)
    if request.stream is None:
        raise ParseError
    return request.data
