"""Wire shapes (Pydantic v2), named after the OpenAPI components, and how bodies are read.

Request bodies are handler parameters typed with the request models below, parsed by FastAPI
itself; this module only makes its JSON strict (StrictJSONRoute) and caps its size
(BodySizeLimitMiddleware). Request models carry every field rule of the spec; a failing rule
raises a Pydantic error whose type errors.py turns into the API's message (custom rules raise
PydanticCustomError with the final text). Response models read the ORM objects directly
(`from_attributes`).
"""

import json
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NoReturn

from fastapi import Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    PlainValidator,
    StrictStr,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, PydanticCustomError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_app import models

USERNAME_PATTERN = r"^\w[\w.-]*$"
# Not in any part of an email: `@`, whitespace in Python's sense and in ECMA-262's `\s` (so
# U+001C-U+001F, U+0085 and U+FEFF alike), control and format characters (Unicode Cc, Cf). The
# spec's Email pattern spells out the same set (Unicode 14.0), so JSON Schema tools agree.
EMAIL_EXCLUDED = (
    "@\x00-\x20\x7f-\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e"
    "\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
EMAIL_PATTERN = f"^[^{EMAIL_EXCLUDED}]+@[^{EMAIL_EXCLUDED}]+\\.[^{EMAIL_EXCLUDED}]+$"
DECIMAL_PATTERN = re.compile(r"[0-9]+")
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_BODY_BYTES = 1024 * 1024


# --- reading request bodies -------------------------------------------------------------------


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


class StrictJSONRequest(Request):
    """A request whose body is read as RFC 8259 JSON: UTF-8 only, no NaN or Infinity.

    Starlette's `json()` is Python's `json.loads`, which accepts NaN and Infinity and guesses
    UTF-16 or UTF-32 for bytes. Raising ValueError here (as `json.loads` itself does for
    invalid UTF-8, integers past Python's digit limit and RecursionError for deep nesting) makes
    FastAPI answer with its 400, which errors.py words as "is not valid JSON".
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            text = (await self.body()).decode("utf-8")
            self._json = json.loads(text, parse_constant=_reject_constant)
        return self._json


class StrictJSONRoute(APIRoute):
    """The route class of every router: its handlers read bodies through StrictJSONRequest
    (FastAPI's documented hook for a custom Request class)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_json_handler


class BodySizeLimitMiddleware:
    """413 for a request body over `max_bytes`, declared in Content-Length or streamed, and 411
    for one of undeclared length (`Transfer-Encoding: chunked`): granian would read it, but
    Django's development server cannot, and the three apps answer alike.

    The rules apply while the body is read, so a handler that takes no body never reads (nor
    refuses) one. It raises Starlette's HTTPException(413), which errors.py answers with the
    spec's body. FastAPI's own `max_body_size` is not used: Starlette answers a declared
    over-limit Content-Length with its own plain-text 413, past the app's error handlers.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        chunked = "transfer-encoding" in headers
        # Past 19 digits the header is nonsense anyway; the streamed count still applies.
        declared_bytes = int(declared) if declared.isdigit() and len(declared) < 19 else 0
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if chunked:
                raise HTTPException(411)
            if declared_bytes > self.max_bytes:
                raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, receive_within_limit, send)


# --- field rules ------------------------------------------------------------------------------


def decimal_in_range(text: object, *, minimum: int, maximum: int) -> int | None:
    """`text` as an int if it is plain decimal digits within [minimum, maximum], else None.

    The digits are counted before calling int(), which refuses strings past 4300 digits with a
    ValueError: a number that long is simply out of range.
    """
    if not isinstance(text, str) or not DECIMAL_PATTERN.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    number = int(digits)
    return number if minimum <= number <= maximum else None


def parse_id(text: object) -> int | None:
    """A row id from a URL or a token subject, or None when it cannot name a row."""
    return decimal_in_range(text, minimum=1, maximum=models.MAX_ID)


def _not_null(value: object) -> object:
    """An envelope given as null counts as missing."""
    if value is None:
        raise PydanticCustomError("blank", "can't be blank")
    return value


def _storable(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """A string holding a character no database can store (NUL, a lone surrogate) "is invalid".

    That is a format rule, so the type and length rules still speak first: they run on a copy
    with those characters replaced (Pydantic cannot read a lone surrogate at all)."""
    if isinstance(value, str) and not models.is_storable_text(value):
        handler(models.UNSTORABLE.sub("\ufffd", value))
        raise PydanticCustomError("unstorable", "is invalid")
    return handler(value)


def _visible(value: str) -> str:
    """A string holding an invisible character (a zero-width space, a Hangul filler...) "is
    invalid": a format rule, checked after the pattern."""
    if models.has_invisible_characters(value):
        raise PydanticCustomError("invisible", "is invalid")
    return value


def _empty_to_none(value: str | None) -> str | None:
    return value or None


@dataclass(frozen=True)
class Text:
    r"""A request string checked in the spec's order: blank, type, length, then format.

    Every string of every request body is declared `Annotated[str, Text(...)]` (like the Flask
    app's marshmallow `Text` field), so the format rule that keeps NUL characters and lone
    surrogates out of the database lives here once. `strip` trims the value that is checked and
    stored (passwords and article bodies are kept as sent, but whitespace-only still counts as
    blank). With `blank_as_none`, null or a blank value is stored as None instead of being
    refused (bio, image). Patterns use Python's `re`, so the three apps agree on `\w` and `\s`.
    With `visible`, a value holding an invisible character fails the format rule too (usernames).
    """

    max_length: int | None = None
    min_length: int | None = None
    strip: bool = True
    pattern: str | None = None
    blank_as_none: bool = False
    visible: bool = False
    blank: str = "can't be blank"

    def _refuse_blank(self, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("blank", self.blank)
        return value

    def __get_pydantic_core_schema__(
        self, _source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        constraints = StringConstraints(
            strip_whitespace=self.strip,
            min_length=self.min_length,
            max_length=self.max_length,
            pattern=self.pattern,
        )
        # Validators listed later run first: the blank check sees the raw JSON value, and
        # _storable wraps the type and length rules listed before it.
        rules: Any
        checked: Any = Annotated[StrictStr, constraints]
        if self.visible:
            checked = Annotated[checked, AfterValidator(_visible)]
        if self.blank_as_none:
            text = Annotated[checked, WrapValidator(_storable)]
            rules = Annotated[text | None, AfterValidator(_empty_to_none)]
        else:
            blank = BeforeValidator(self._refuse_blank)
            rules = Annotated[checked, WrapValidator(_storable), blank]
        return handler.generate_schema(rules)


def _list_of_strings(value: object) -> object:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PydanticCustomError("tag_list_type", "must be a list of strings")
    return value


def _distinct_sorted_tags(tags: list[str]) -> list[str]:
    distinct = sorted(set(tags))
    if len(distinct) > MAX_TAGS:
        raise PydanticCustomError(
            "too_many_tags", "is too long (maximum is {max_tags} tags)", {"max_tags": MAX_TAGS}
        )
    return distinct


# A list of tag names: trimmed, de-duplicated and sorted; null or non-strings refused.
TagList = Annotated[
    list[Annotated[str, Text(max_length=MAX_TAG_LENGTH, blank="can't contain blank tags")]],
    AfterValidator(_distinct_sorted_tags),
    BeforeValidator(_list_of_strings),
]


def _bounded_integer(minimum: int, maximum: int) -> PlainValidator:
    """A query parameter that must be plain decimal digits within [minimum, maximum]."""

    def parse(value: object) -> int:
        number = decimal_in_range(value, minimum=minimum, maximum=maximum)
        if number is None:
            raise PydanticCustomError(
                "integer_range",
                "must be an integer between {minimum} and {maximum}",
                {"minimum": minimum, "maximum": maximum},
            )
        return number

    # The document shows the bounds; the parsing above enforces them with the API's message.
    bounded = Annotated[int, Field(ge=minimum, le=maximum)]
    return PlainValidator(parse, json_schema_input_type=bounded)


# --- requests ---------------------------------------------------------------------------------


class RequestModel(BaseModel):
    # Unknown keys are ignored; patterns use Python's `re`, as in the other two apps.
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")


class LoginUser(RequestModel):
    """Login body; the password is only checked for presence and type, never for policy."""

    email: Annotated[str, Text(max_length=254, pattern=EMAIL_PATTERN)]
    password: Annotated[str, Text(strip=False)]


class NewUser(RequestModel):
    """CreateUser body."""

    username: Annotated[str, Text(max_length=64, pattern=USERNAME_PATTERN, visible=True)]
    email: Annotated[str, Text(max_length=254, pattern=EMAIL_PATTERN)]
    password: Annotated[str, Text(strip=False, min_length=8, max_length=128)]


class UpdateUser(RequestModel):
    """UpdateCurrentUser body: every field optional; bio and image may be cleared.

    None stands for "not sent" (null is refused where it is not allowed), and
    `model_dump(exclude_unset=True)` gives the changes."""

    email: Annotated[str | None, Text(max_length=254, pattern=EMAIL_PATTERN)] = None
    username: Annotated[str | None, Text(max_length=64, pattern=USERNAME_PATTERN, visible=True)] = (
        None
    )
    password: Annotated[str | None, Text(strip=False, min_length=8, max_length=128)] = None
    bio: Annotated[str | None, Text(max_length=1000, blank_as_none=True)] = None
    image: Annotated[str | None, Text(max_length=2048, blank_as_none=True)] = None


class NewArticle(RequestModel):
    """CreateArticle body."""

    title: Annotated[str, Text(max_length=255)]
    description: Annotated[str, Text(max_length=1000)]
    body: Annotated[str, Text(strip=False, max_length=65535)]
    tag_list: TagList = Field(default_factory=list, alias="tagList")


class UpdateArticle(RequestModel):
    """UpdateArticle body: all optional; an omitted tagList keeps the tags, [] removes them.

    None stands for "not sent" (null is refused), as in UpdateUser."""

    title: Annotated[str | None, Text(max_length=255)] = None
    description: Annotated[str | None, Text(max_length=1000)] = None
    body: Annotated[str | None, Text(strip=False, max_length=65535)] = None
    # The outer check runs before the union, so null is refused rather than read as "not sent".
    tag_list: Annotated[TagList | None, BeforeValidator(_list_of_strings)] = Field(
        default=None, alias="tagList"
    )


class NewComment(RequestModel):
    """CreateArticleComment body; the body is stored as sent."""

    body: Annotated[str, Text(strip=False, max_length=10000)]


class Envelope(RequestModel):
    """`{"<name>": {...}}`. A top-level JSON value that is not an object means the envelope
    is missing ("can't be blank"); an envelope that is not an object "must be an object"."""

    @model_validator(mode="before")
    @classmethod
    def _object_or_nothing(cls, data: Any) -> Any:
        if isinstance(data, bytes):
            # FastAPI hands over the raw body when it is not declared as JSON; left as bytes,
            # it fails validation and errors.py answers 415.
            return data
        return data if isinstance(data, dict) else {}


class LoginUserRequest(Envelope):
    user: Annotated[LoginUser, BeforeValidator(_not_null)]


class NewUserRequest(Envelope):
    user: Annotated[NewUser, BeforeValidator(_not_null)]


class UpdateUserRequest(Envelope):
    user: Annotated[UpdateUser, BeforeValidator(_not_null)]


class NewArticleRequest(Envelope):
    article: Annotated[NewArticle, BeforeValidator(_not_null)]


class UpdateArticleRequest(Envelope):
    article: Annotated[UpdateArticle, BeforeValidator(_not_null)]


class NewCommentRequest(Envelope):
    comment: Annotated[NewComment, BeforeValidator(_not_null)]


# --- query strings and paths -----------------------------------------------------------------

# An exact-match filter from the query string; an empty value means no filter (None). The
# query string only holds text, so the document says string (not "string or null").
Filter = Annotated[str | None, BeforeValidator(_empty_to_none, json_schema_input_type=str)]
# The comment id of DeleteArticleComment's path; one that cannot name a row is None, which the
# service answers as "comment not found".
CommentId = Annotated[int | None, PlainValidator(parse_id, json_schema_input_type=str)]


# The path parameters the routers share, with the descriptions the document shows.
Slug = Annotated[str, Path(description="The article's slug.")]
Username = Annotated[str, Path(description="The profile's username.")]


class Pagination(BaseModel):
    """GetArticlesFeed query string (and the paging part of GetArticles')."""

    offset: Annotated[int, _bounded_integer(0, models.MAX_ID)] = Field(
        0, description="How many matching articles to skip."
    )
    limit: Annotated[int, _bounded_integer(1, 100)] = Field(
        20, description="How many articles to return."
    )


class ArticleFilters(Pagination):
    """GetArticles query string: optional exact-match filters plus paging."""

    tag: Filter = Field(None, description="Only articles with this tag.")
    author: Filter = Field(None, description="Only articles by this username.")
    favorited: Filter = Field(None, description="Only articles favorited by this username.")


# --- one message per field -------------------------------------------------------------------

# Pydantic error type -> (rank, message). A field reports only its lowest-ranked error, so the
# rules apply in the order presence, type, length, format. A message of None keeps the one the
# rule raised (the rules above raise PydanticCustomError with the final text).
_PRESENCE, _TYPE, _LENGTH, _FORMAT = range(4)
_VALIDATION_MESSAGES: dict[str, tuple[int, str | None]] = {
    "missing": (_PRESENCE, "can't be blank"),
    "blank": (_PRESENCE, None),
    "string_type": (_TYPE, "must be a string"),
    "model_type": (_TYPE, "must be an object"),
    # FastAPI validates bodies with from_attributes on, which names the same failure so.
    "model_attributes_type": (_TYPE, "must be an object"),
    "tag_list_type": (_TYPE, None),
    "integer_range": (_TYPE, None),
    "string_too_short": (_LENGTH, "is too short (minimum is {min_length} characters)"),
    "string_too_long": (_LENGTH, "is too long (maximum is {max_length} characters)"),
    "too_many_tags": (_LENGTH, None),
    "string_pattern_mismatch": (_FORMAT, "is invalid"),
    "unstorable": (_FORMAT, None),
    "invisible": (_FORMAT, None),
}


def one_message_per_field(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Turn Pydantic errors into `{field: [message]}`, one message per field (errors.py sends
    them as the 422).

    The field is the JSON key inside the envelope (`("body", "user", "email")` -> "email"), the
    envelope itself for envelope-level errors (`("body", "user")` -> "user"), or the query
    parameter (`("query", "limit")` -> "limit").
    """
    chosen: dict[str, tuple[int, str]] = {}
    for error in errors:
        loc = [part for part in error["loc"] if isinstance(part, str)]
        source, path = (loc[0], loc[1:]) if loc else ("body", [])
        if source == "body":
            field = path[1] if len(path) > 1 else (path[0] if path else "request")
        else:
            field = path[0] if path else source
        rank, template = _VALIDATION_MESSAGES.get(error["type"], (_TYPE, None))
        message = template.format(**error.get("ctx") or {}) if template else str(error["msg"])
        if field not in chosen or rank < chosen[field][0]:
            chosen[field] = (rank, message)
    return {field: [message] for field, (_, message) in chosen.items()}


# --- responses ----------------------------------------------------------------------------


class GenericErrorModel(BaseModel):
    """The body of every error response (errors.py builds them), as the routers document it."""

    model_config = ConfigDict(extra="forbid")

    errors: Annotated[dict[str, Annotated[list[str], Field(min_length=1)]], Field(min_length=1)]


def _iso_milliseconds(value: datetime) -> str:
    """`2026-01-02T03:04:05.678Z`. SQLite hands back naive datetimes, which are UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[datetime, PlainSerializer(_iso_milliseconds, return_type=str)]


class ResponseModel(BaseModel):
    """Read from ORM attributes (`favorites_count`), written in camelCase (`favoritesCount`)."""

    model_config = ConfigDict(
        from_attributes=True,
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
    )


class User(ResponseModel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None

    @classmethod
    def with_token(cls, user: models.User, token: str) -> "User":
        """The current user with the token to send back (tokens are not stored)."""
        return cls(
            email=user.email, token=token, username=user.username, bio=user.bio, image=user.image
        )


class Profile(ResponseModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ArticlePreview(ResponseModel):
    """An article as listed: everything but the body."""

    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    favorited: bool
    favorites_count: int
    author: Profile


class Article(ArticlePreview):
    body: str


class Comment(ResponseModel):
    id: int
    created_at: Timestamp
    updated_at: Timestamp
    body: str
    author: Profile


class UserResponse(ResponseModel):
    user: User


class ProfileResponse(ResponseModel):
    profile: Profile


class SingleArticleResponse(ResponseModel):
    article: Article


class MultipleArticlesResponse(ResponseModel):
    articles: list[ArticlePreview]
    articles_count: int


class SingleCommentResponse(ResponseModel):
    comment: Comment


class MultipleCommentsResponse(ResponseModel):
    comments: list[Comment]


class TagsResponse(ResponseModel):
    tags: list[str]


class HealthResponse(ResponseModel):
    status: Literal["ok"]
