"""`limit` / `offset` for the article lists, validated to the API's 422 messages.

DRF's LimitOffsetPagination silently clamps or ignores bad values; the API rejects them instead,
and the lists report `articlesCount` as the total of matching rows, so this is a small value
object rather than a DRF pagination class.
"""

import re
from dataclasses import dataclass
from typing import Self

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# At most ten significant digits: longer values are out of range anyway, and int() refuses
# strings past 4300 digits.
DECIMAL = re.compile(r"0*[0-9]{1,10}")


def _bounded(raw: str | None, default: int, low: int, high: int) -> int | None:
    """The parameter as an int in [low, high] (default when absent), None when invalid."""
    if raw is None:
        return default
    if not DECIMAL.fullmatch(raw) or not low <= int(raw) <= high:
        return None
    return int(raw)


@dataclass(frozen=True)
class ArticlePagination:
    """One page of an article list."""

    limit: int = 20
    offset: int = 0

    MAX_LIMIT = 100
    MAX_OFFSET = 2_147_483_647

    @classmethod
    def from_request(cls, request: Request) -> Self:
        """Read `limit` (1..100, default 20) and `offset` (0..2^31-1, default 0); 422 if bad."""
        limit = _bounded(request.query_params.get("limit"), cls.limit, 1, cls.MAX_LIMIT)
        offset = _bounded(request.query_params.get("offset"), cls.offset, 0, cls.MAX_OFFSET)
        errors = {}
        if limit is None:
            errors["limit"] = [f"must be an integer between 1 and {cls.MAX_LIMIT}"]
        if offset is None:
            errors["offset"] = [f"must be an integer between 0 and {cls.MAX_OFFSET}"]
        if limit is None or offset is None:
            raise ValidationError(errors)
        return cls(limit=limit, offset=offset)
