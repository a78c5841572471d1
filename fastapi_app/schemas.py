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
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictStr,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi_app import models

USERNAME_PATTERN = r"^\w[\w.-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_TAGS = 20
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
    """413 for a request body over `max_bytes`, declared in Content-Length or streamed.

    The limit applies while the body is read, so a handler that takes no body never reads (nor
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
        declared = Headers(scope=scope).get("content-length", "")
        # Past 19 digits the header is nonsense anyway; the streamed count still applies.
        declared_bytes = int(declared) if declared.isdigit() and len(declared) < 19 else 0
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            if declared_bytes > self.max_bytes:
                raise HTTPException(413)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, receive_within_limit, send)


# --- field rules --------------------------------------------------------------------------


def _not_blank(value: object) -> object:
    """Presence comes first: null and empty or whitespace-only strings are all "blank"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("blank", "can't be blank")
    return value


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


# Wraps the type and length rules of every request string (listed after them in Annotated).
Storable = WrapValidator(_storable)


def _empty_to_none(value: str) -> str | None:
    return value or None


def _list_of_strings(value: object) -> object:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PydanticCustomError("tag_list_type", "must be a list of strings")
    return value


def _not_blank_tag(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise PydanticCustomError("blank_tag", "can't contain blank tags")
    return value


def _distinct_sorted_tags(tags: list[str]) -> list[str]:
    distinct = sorted(set(tags))
    if len(distinct) > MAX_TAGS:
        raise PydanticCustomError(
            "too_many_tags", "is too long (maximum is {max_tags} tags)", {"max_tags": MAX_TAGS}
        )
    return distinct


def _bounded_integer(low: int, high: int) -> PlainValidator:
    """A query parameter that must be a decimal integer in low..high (no sign, no spaces)."""

    def parse(value: object) -> int:
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value):
            number = int(value)
            if low <= number <= high:
                return number
        raise PydanticCustomError(
            "integer_range",
            "must be an integer between {low} and {high}",
            {"low": low, "high": high},
        )

    return PlainValidator(parse, json_schema_input_type=int)


# Validators listed later in Annotated run first, so each BeforeValidator below sees the raw
# JSON value before the strict type check, and Storable wraps what is listed before it.
Username = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=64, pattern=USERNAME_PATTERN),
    Storable,
    BeforeValidator(_not_blank),
]
Email = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN),
    Storable,
    BeforeValidator(_not_blank),
]
# Passwords are never trimmed; login only checks presence and type (and that argon2 can
# encode the password at all).
Password = Annotated[StrictStr, Storable, BeforeValidator(_not_blank)]
NewPassword = Annotated[
    StrictStr,
    StringConstraints(min_length=8, max_length=128),
    Storable,
    BeforeValidator(_not_blank),
]
# Optional profile texts, trimmed; null, "" and whitespace-only are all stored as null.
Bio = (
    Annotated[
        StrictStr,
        StringConstraints(strip_whitespace=True, max_length=1000),
        Storable,
        AfterValidator(_empty_to_none),
    ]
    | None
)
Image = (
    Annotated[
        StrictStr,
        StringConstraints(strip_whitespace=True, max_length=2048),
        Storable,
        AfterValidator(_empty_to_none),
    ]
    | None
)
Title = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=255),
    Storable,
    BeforeValidator(_not_blank),
]
Description = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=1000),
    Storable,
    BeforeValidator(_not_blank),
]
# Bodies are stored as sent; only the blank check looks at them trimmed.
Body = Annotated[
    StrictStr, StringConstraints(max_length=65535), Storable, BeforeValidator(_not_blank)
]
CommentBody = Annotated[
    StrictStr, StringConstraints(max_length=10000), Storable, BeforeValidator(_not_blank)
]
Tag = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=64),
    Storable,
    BeforeValidator(_not_blank_tag),
]
TagList = Annotated[
    list[Tag], AfterValidator(_distinct_sorted_tags), BeforeValidator(_list_of_strings)
]


# --- requests -----------------------------------------------------------------------------


class RequestModel(BaseModel):
    # Unknown keys are ignored; patterns use Python's `re` so all three apps agree on `\w`/`\s`.
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")


class LoginUser(RequestModel):
    email: Email
    password: Password


class NewUser(RequestModel):
    username: Username
    email: Email
    password: NewPassword


class UpdateUser(RequestModel):
    """Every field optional; a field that is sent must be valid (email/username/password may
    not be null). MISSING fields are left out of `model_dump()`, which gives the changes."""

    email: Email | MISSING = MISSING
    username: Username | MISSING = MISSING
    password: NewPassword | MISSING = MISSING
    bio: Bio | MISSING = MISSING
    image: Image | MISSING = MISSING


class NewArticle(RequestModel):
    title: Title
    description: Description
    body: Body
    tag_list: TagList = Field(default_factory=list, alias="tagList")


class UpdateArticle(RequestModel):
    """Omitted fields (and an omitted tagList) are kept; `"tagList": []` removes every tag."""

    title: Title | MISSING = MISSING
    description: Description | MISSING = MISSING
    body: Body | MISSING = MISSING
    tag_list: TagList | MISSING = Field(default=MISSING, alias="tagList")


class NewComment(RequestModel):
    body: CommentBody


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


# limit/offset of GetArticles and GetArticlesFeed (FastAPI query-parameter models).
Limit = Annotated[int, _bounded_integer(1, 100)]
Offset = Annotated[int, _bounded_integer(0, 2_147_483_647)]


class Pagination(BaseModel):
    limit: Limit = 20
    offset: Offset = 0


class ArticleFilters(Pagination):
    """AND-combined exact-match filters; an empty value means no filter."""

    tag: str | None = None
    author: str | None = None
    favorited: str | None = None


# --- responses ----------------------------------------------------------------------------


class GenericErrorModel(BaseModel):
    """The body of every error response (errors.py builds them), as the routers document it."""

    model_config = ConfigDict(extra="forbid")

    errors: dict[str, list[str]]


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
