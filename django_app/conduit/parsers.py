"""Request bodies: JSON only, at most 1 MiB, always wrapped in a named envelope.

DRF alone would read a missing or empty body as `{}`, whatever its content type, so operations
that take a body read it through `read_envelope`, which enforces the contract in the order
415 (not application/json), 413 (over DATA_UPLOAD_MAX_MEMORY_SIZE, raised by Django while
reading), 400 (empty or malformed), 422 (no envelope object).
"""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


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
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        """The first (only) renderer: the API has a single representation, so no 406."""
        return renderers[0], renderers[0].media_type


def read_envelope(request: Request, key: str) -> Any:
    """The value under `key` in the JSON body (an object), for a serializer to validate."""
    media_type = request.content_type.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(media_type)
    if request.stream is None:
        raise ParseError
    body = request.data
    envelope = body.get(key) if isinstance(body, dict) else None
    if envelope is None:
        raise ValidationError({key: ["can't be blank"]})
    if not isinstance(envelope, dict):
        raise ValidationError({key: ["must be an object"]})
    return envelope
