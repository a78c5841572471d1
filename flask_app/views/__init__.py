"""HTTP handlers, one Blueprint per spec tag; helpers shared by the handlers live here."""

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType


def json_body() -> Any:
    """The request's JSON body, for operations that take one.

    415 unless the Content-Type is application/json (a charset parameter is fine), 413 past
    MAX_CONTENT_LENGTH (raised by Werkzeug while reading), 400 if empty or not valid JSON.
    """
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    try:
        return request.get_json()
    except RecursionError:  # absurdly deep nesting is malformed input, not a server error
        raise BadRequest() from None
