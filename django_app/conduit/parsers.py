"""Request bodies: JSON only, at most 1 MiB, always wrapped in a named envelope.

DRF alone would read a missing or empty body as `{}`, whatever its content type, so operations
that take a body read it through `read_envelope`, which enforces the contract in the order
415 (not application/json), 413 (over DATA_UPLOAD_MAX_MEMORY_SIZE, raised by Django while
reading), 400 (empty or malformed), 422 (no envelope object).
"""

from typing import Any

from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


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
