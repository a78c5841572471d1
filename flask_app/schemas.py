"""Wire shapes (marshmallow): how request bodies are read, request validation and responses.

Each field reports one message, the first rule it fails in the order presence -> type ->
length -> format, and every failing field is reported together. Text no database column can
hold (a NUL character, a lone surrogate) fails the format rule: "is invalid". Request bodies
are envelopes (`{"user": {...}}`, NewUserRequestSchema) around the spec's input objects
(NewUserSchema); query-string schemas take `request.args`; response schemas are envelopes
around the spec's output objects, which the handler fills in (`{"article": article}`).
flask-smorest's Blueprint.arguments loads a request through RequestParser, which reads bodies
with Flask itself (`request.get_json()`, made strict by StrictJSONProvider); its
Blueprint.response dumps what the handler returns.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple, NoReturn

from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load
from marshmallow.validate import Length
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import LengthRequired, UnsupportedMediaType

from flask_app.models import MAX_ID, User, has_invisible_characters, is_storable_text

BLANK = "can't be blank"
NOT_AN_OBJECT = "must be an object"
NOT_A_STRING = "must be a string"
NOT_A_STRING_LIST = "must be a list of strings"
MAX_TAGS = 20
MAX_TAG_LENGTH = 64

USERNAME_PATTERN = re.compile(r"\w[\w.-]*")
# Not in any part of an email: `@`, whitespace in Python's sense and in ECMA-262's `\s` (so
# U+001C-U+001F, U+0085 and U+FEFF alike), control and format characters (Unicode Cc, Cf). The
# spec's Email pattern spells out the same set (Unicode 14.0), so JSON Schema tools agree.
EMAIL_EXCLUDED = (
    "@\x00-\x20\x7f-\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e"
    "\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
EMAIL_PATTERN = re.compile(f"[^{EMAIL_EXCLUDED}]+@[^{EMAIL_EXCLUDED}]+\\.[^{EMAIL_EXCLUDED}]+")
DECIMAL_PATTERN = re.compile(r"[0-9]+")


# --- reading request bodies -------------------------------------------------------------------


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

    411 for a body of undeclared length (`Transfer-Encoding: chunked`): Werkzeug and granian
    would read it, but Django's development server cannot, and the three apps answer alike.
    415 unless the Content-Type is application/json (a charset parameter is fine), 413 past
    MAX_CONTENT_LENGTH (raised by Werkzeug while reading), 400 if empty or not valid JSON.
    """
    if "Transfer-Encoding" in request.headers:
        raise LengthRequired()
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    return request.get_json()


class RequestParser(FlaskParser):
    """The webargs parser behind Blueprint.arguments, reading requests as the API does.

    webargs' own JSON loading would parse the body with Python's json module (NaN, UTF-16 and
    all), treat a non-JSON Content-Type as an empty body and answer 400 in its own words; here
    the body comes from `json_body()`. The query string reaches the schema as Werkzeug's
    MultiDict, whose repeated keys QueryStringSchema resolves. A failed load is re-raised as
    the schema's own ValidationError, which errors.py answers with a 422 (webargs would key
    the messages by location and abort with its own body).
    """

    def load_json(self, req: Request, schema: Schema) -> Any:
        return json_body()

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        return req.args

    def handle_error(
        self,
        error: ValidationError,
        req: Request,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> NoReturn:
        ((_location, messages),) = error.messages_dict.items()
        raise ValidationError(messages)


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
    return decimal_in_range(text, minimum=1, maximum=MAX_ID)


class Text(fields.String):
    """A request string checked in the spec's order: blank, type, length, then format.

    Every string field of every request body is a Text, so the format rule that keeps NUL
    characters and lone surrogates out of the database lives here once. `strip` trims the
    value that is checked and stored (passwords and article bodies are kept as sent, but
    whitespace-only still counts as blank). With `blank_as_none`, a blank value is stored as
    None instead of being rejected (bio, image). With `visible`, a value holding an invisible
    character fails the format rule too (usernames).
    """

    default_error_messages = {
        "required": BLANK,
        "null": BLANK,
        "invalid": NOT_A_STRING,
        "blank": BLANK,
        "too_short": "is too short (minimum is {min} characters)",
        "too_long": "is too long (maximum is {max} characters)",
        "format": "is invalid",
    }

    def __init__(
        self,
        *,
        max_length: int | None = None,
        min_length: int | None = None,
        strip: bool = True,
        pattern: re.Pattern[str] | None = None,
        blank_as_none: bool = False,
        visible: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.strip = strip
        self.pattern = pattern
        self.blank_as_none = blank_as_none
        self.visible = visible

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if not value.strip():
            if self.blank_as_none:
                return None
            raise self.make_error("blank")
        text = value.strip() if self.strip else value
        if self.min_length is not None and len(text) < self.min_length:
            raise self.make_error("too_short", min=self.min_length)
        if self.max_length is not None and len(text) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        if not is_storable_text(text):
            raise self.make_error("format")
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise self.make_error("format")
        if self.visible and has_invisible_characters(text):
            raise self.make_error("format")
        return text


class TagList(fields.Field[list[str]]):
    """A list of tag names: trimmed, de-duplicated and sorted; null or non-strings rejected.

    Tags follow Text's format rule: one holding a NUL or a lone surrogate is "is invalid".
    """

    default_error_messages = {
        "null": NOT_A_STRING_LIST,
        "invalid": NOT_A_STRING_LIST,
        "blank": "can't contain blank tags",
        "too_many": f"is too long (maximum is {MAX_TAGS} tags)",
        "too_long": f"is too long (maximum is {MAX_TAG_LENGTH} characters)",
        "format": "is invalid",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.make_error("invalid")
        names = {tag.strip() for tag in value}
        if "" in names:
            raise self.make_error("blank")
        if len(names) > MAX_TAGS:
            raise self.make_error("too_many")
        if any(len(name) > MAX_TAG_LENGTH for name in names):
            raise self.make_error("too_long")
        if not all(is_storable_text(name) for name in names):
            raise self.make_error("format")
        return sorted(names)


class BoundedInteger(fields.Field[int]):
    """A query-string integer: plain decimal digits within [minimum, maximum]."""

    def __init__(self, *, minimum: int, maximum: int, **kwargs: Any) -> None:
        message = f"must be an integer between {minimum} and {maximum}"
        super().__init__(error_messages={"invalid": message, "null": message}, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number = None
        if isinstance(value, str):
            number = decimal_in_range(value, minimum=self.minimum, maximum=self.maximum)
        if number is None:
            raise self.make_error("invalid")
        return number


class Filter(fields.Field[str | None]):
    """An exact-match filter from the query string; an empty value means no filter (None)."""

    default_error_messages = {"invalid": NOT_A_STRING}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value or None


class InputSchema(Schema):
    """An object a request body carries (the spec's NewUser, NewArticle, ...): unknown keys are
    ignored."""

    class Meta:
        unknown = EXCLUDE


class EnvelopeSchema(Schema):
    """A request body `{"<envelope>": {...}}`, declared as its one Nested field
    (`user = fields.Nested(NewUserSchema, required=True)`), so the docs show the envelope.

    `load()` returns the inner object's fields, loaded by the nested schema; the envelope's own
    rules are the spec's, not Nested's: a body that is not an object, or has no or a null
    envelope, is `{"<envelope>": ["can't be blank"]}`; an envelope that is not an object is
    "must be an object"; the inner object's errors are reported at the top level
    (`{"title": [...]}`, not under "article"). Other top-level keys are ignored.
    """

    class Meta:
        unknown = EXCLUDE

    def load(
        self,
        data: Any,
        *,
        many: bool | None = None,
        partial: Any = None,
        unknown: Any = None,
    ) -> dict[str, Any]:
        ((name, field),) = self.fields.items()
        envelope = data.get(name) if isinstance(data, Mapping) else None
        if envelope is None:
            raise ValidationError({name: [BLANK]})
        if not isinstance(envelope, Mapping):
            raise ValidationError({name: [NOT_AN_OBJECT]})
        if not isinstance(field, fields.Nested):
            raise TypeError(f"{type(self).__name__}.{name} must be a Nested field")
        loaded: dict[str, Any] = field.schema.load(envelope)
        return loaded


# --- users -----------------------------------------------------------------------------------


class NewUserSchema(InputSchema):
    """The spec's NewUser."""

    username = Text(required=True, max_length=64, pattern=USERNAME_PATTERN, visible=True)
    email = Text(required=True, max_length=254, pattern=EMAIL_PATTERN)
    password = Text(
        required=True, strip=False, min_length=8, max_length=128, metadata={"format": "password"}
    )


class NewUserRequestSchema(EnvelopeSchema):
    """CreateUser body."""

    user = fields.Nested(NewUserSchema, required=True)


class LoginUserSchema(InputSchema):
    """The spec's LoginUser; the password is only checked for presence and type, never for
    policy."""

    email = Text(required=True, max_length=254, pattern=EMAIL_PATTERN)
    password = Text(required=True, strip=False, metadata={"format": "password"})


class LoginUserRequestSchema(EnvelopeSchema):
    """Login body."""

    user = fields.Nested(LoginUserSchema, required=True)


class UpdateUserSchema(InputSchema):
    """The spec's UpdateUser: every field optional; bio and image may be cleared."""

    username = Text(max_length=64, pattern=USERNAME_PATTERN, visible=True)
    email = Text(max_length=254, pattern=EMAIL_PATTERN)
    password = Text(strip=False, min_length=8, max_length=128, metadata={"format": "password"})
    bio = Text(allow_none=True, blank_as_none=True, max_length=1000)
    image = Text(allow_none=True, blank_as_none=True, max_length=2048)


class UpdateUserRequestSchema(EnvelopeSchema):
    """UpdateCurrentUser body."""

    user = fields.Nested(UpdateUserSchema, required=True)


class UserWithToken(NamedTuple):
    """What UserSchema dumps: tokens are not stored, so a response pairs the account with the
    token to send back (a fresh one, or the one the request presented)."""

    account: User
    token: str


class UserSchema(Schema):
    """The spec's User: the account plus the token the client keeps using (a UserWithToken)."""

    email = fields.String(attribute="account.email")
    token = fields.String()
    username = fields.String(attribute="account.username")
    bio = fields.String(attribute="account.bio", allow_none=True)
    image = fields.String(attribute="account.image", allow_none=True)


class UserResponseSchema(Schema):
    """UserResponse: `{"user": UserWithToken}`."""

    user = fields.Nested(UserSchema)


# --- profiles --------------------------------------------------------------------------------


class ProfileSchema(Schema):
    """The spec's Profile; `following` is relative to the caller."""

    username = fields.String()
    bio = fields.String(allow_none=True)
    image = fields.String(allow_none=True)
    following = fields.Boolean()


class ProfileResponseSchema(Schema):
    """ProfileResponse: `{"profile": profile}`."""

    profile = fields.Nested(ProfileSchema)


# --- articles --------------------------------------------------------------------------------


class Timestamp(fields.Field[datetime]):
    """UTC with milliseconds and a Z suffix: 2026-01-02T03:04:05.678Z."""

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        if value is None:
            return None
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class NewArticleSchema(InputSchema):
    """The spec's NewArticle."""

    title = Text(required=True, max_length=255)
    description = Text(required=True, max_length=1000)
    body = Text(required=True, strip=False, max_length=65535)
    tag_list = TagList(data_key="tagList", load_default=list)


class NewArticleRequestSchema(EnvelopeSchema):
    """CreateArticle body."""

    article = fields.Nested(NewArticleSchema, required=True)


class UpdateArticleSchema(InputSchema):
    """The spec's UpdateArticle: all optional; an omitted tagList keeps the tags, [] removes
    them."""

    title = Text(max_length=255)
    description = Text(max_length=1000)
    body = Text(strip=False, max_length=65535)
    tag_list = TagList(data_key="tagList")


class UpdateArticleRequestSchema(EnvelopeSchema):
    """UpdateArticle body."""

    article = fields.Nested(UpdateArticleSchema, required=True)


class ArticleSchema(Schema):
    """The spec's Article."""

    slug = fields.String()
    title = fields.String()
    description = fields.String()
    body = fields.String()
    tag_list = fields.List(fields.String(), data_key="tagList")
    created_at = Timestamp(data_key="createdAt")
    updated_at = Timestamp(data_key="updatedAt")
    favorited = fields.Boolean()
    favorites_count = fields.Integer(data_key="favoritesCount")
    author = fields.Nested(ProfileSchema)


class ArticlePreviewSchema(ArticleSchema):
    """The spec's ArticlePreview: an Article as lists show it, without its body."""

    class Meta:
        exclude = ("body",)


class SingleArticleResponseSchema(Schema):
    """SingleArticleResponse: `{"article": article}`."""

    article = fields.Nested(ArticleSchema)


class MultipleArticlesResponseSchema(Schema):
    """MultipleArticlesResponse: one page, and the number of all matching articles."""

    articles = fields.List(fields.Nested(ArticlePreviewSchema), validate=Length(max=100))
    articles_count = fields.Integer(data_key="articlesCount")


class QueryStringSchema(Schema):
    """Loads `request.args`: unknown parameters ignored, a repeated one counts by its last value.

    Werkzeug's MultiDict hands marshmallow the first value of a repeated key, so the schema
    flattens it first.
    """

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def last_value_wins(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, MultiDict):
            return {key: values[-1] for key, values in data.lists()}
        return data


class PaginationSchema(QueryStringSchema):
    """GetArticlesFeed query string (and the paging part of GetArticles')."""

    limit = BoundedInteger(
        minimum=1,
        maximum=100,
        load_default=20,
        metadata={"description": "How many articles to return."},
    )
    offset = BoundedInteger(
        minimum=0,
        maximum=MAX_ID,
        load_default=0,
        metadata={"description": "How many matching articles to skip."},
    )


class ArticleFiltersSchema(PaginationSchema):
    """GetArticles query string: optional exact-match filters plus paging."""

    tag = Filter(load_default=None, metadata={"description": "Only articles with this tag."})
    author = Filter(load_default=None, metadata={"description": "Only articles by this username."})
    favorited = Filter(
        load_default=None, metadata={"description": "Only articles favorited by this username."}
    )


# --- comments --------------------------------------------------------------------------------


class NewCommentSchema(InputSchema):
    """The spec's NewComment; the body is stored as sent."""

    body = Text(required=True, strip=False, max_length=10000)


class NewCommentRequestSchema(EnvelopeSchema):
    """CreateArticleComment body."""

    comment = fields.Nested(NewCommentSchema, required=True)


class CommentSchema(Schema):
    """The spec's Comment."""

    id = fields.Integer()
    created_at = Timestamp(data_key="createdAt")
    updated_at = Timestamp(data_key="updatedAt")
    body = fields.String()
    author = fields.Nested(ProfileSchema)


class SingleCommentResponseSchema(Schema):
    """SingleCommentResponse: `{"comment": comment}`."""

    comment = fields.Nested(CommentSchema)


class MultipleCommentsResponseSchema(Schema):
    """MultipleCommentsResponse: `{"comments": [...]}`, oldest first."""

    comments = fields.List(fields.Nested(CommentSchema))


# --- tags, health and errors -----------------------------------------------------------------


class TagsResponseSchema(Schema):
    """TagsResponse: `{"tags": [...]}`."""

    tags = fields.List(fields.String())


class HealthResponseSchema(Schema):
    """GetHealth's answer: `{"status": "ok"}`."""

    status = fields.String()


class GenericErrorModelSchema(Schema):
    """The spec's GenericErrorModel, the shape of every error body (errors.py writes them)."""

    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String(), validate=Length(min=1)),
        required=True,
        metadata={"minProperties": 1},
    )


# --- what handlers take and give -------------------------------------------------------------

# Blueprint.arguments hands a handler the fields its schema loaded (for a body, the envelope's
# inner object), and Blueprint.response dumps the envelope the handler returns. These aliases
# name those schemas in the handlers' signatures, as FastAPI's parameter and return types name
# their Pydantic models; to the type checker each is a plain dict.
NewUser = Annotated[dict[str, Any], NewUserRequestSchema]
LoginUser = Annotated[dict[str, Any], LoginUserRequestSchema]
UpdateUser = Annotated[dict[str, Any], UpdateUserRequestSchema]
NewArticle = Annotated[dict[str, Any], NewArticleRequestSchema]
UpdateArticle = Annotated[dict[str, Any], UpdateArticleRequestSchema]
NewComment = Annotated[dict[str, Any], NewCommentRequestSchema]
Pagination = Annotated[dict[str, Any], PaginationSchema]
ArticleFilters = Annotated[dict[str, Any], ArticleFiltersSchema]

UserResponse = Annotated[dict[str, Any], UserResponseSchema]
ProfileResponse = Annotated[dict[str, Any], ProfileResponseSchema]
SingleArticleResponse = Annotated[dict[str, Any], SingleArticleResponseSchema]
MultipleArticlesResponse = Annotated[dict[str, Any], MultipleArticlesResponseSchema]
SingleCommentResponse = Annotated[dict[str, Any], SingleCommentResponseSchema]
MultipleCommentsResponse = Annotated[dict[str, Any], MultipleCommentsResponseSchema]
TagsResponse = Annotated[dict[str, Any], TagsResponseSchema]
HealthResponse = Annotated[dict[str, Any], HealthResponseSchema]
