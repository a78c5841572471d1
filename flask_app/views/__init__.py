"""HTTP handlers, one Blueprint per spec tag; the JSON the handlers read and write is set here."""

from typing import Any, NoReturn

from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import UnsupportedMediaType


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


class StrictJSONProvider(DefaultJSONProvider):
    """The app's `app.json`: strict JSON in, the spec's key order and plain UTF-8 out.

    Python's json module reads NaN and Infinity, guesses UTF-16 or UTF-32 for bytes, and raises
    RecursionError on deep nesting. The API calls all of these "is not valid JSON", so `loads`
    turns each into a ValueError, which Flask's request answers with a 400 (as it already does
    for syntax errors, invalid UTF-8 and integers past Python's digit limit).
    """

    sort_keys = False
    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _reject_constant)
        try:
            text = s.decode("utf-8") if isinstance(s, bytes) else s  # RFC 8259: UTF-8 only
            return super().loads(text, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def json_body() -> Any:
    """The request's JSON body, for operations that take one.

    415 unless the Content-Type is application/json (a charset parameter is fine), 413 past
    MAX_CONTENT_LENGTH (raised by Werkzeug while reading), 400 if empty or not valid JSON.
    """
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    return request.get_json()
