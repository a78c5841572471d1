"""Docs: what the views' @extend_schema annotations share, for drf-spectacular's /openapi.json.

Each handler method declares its own operationId, tag, summary, request and responses; this
module holds what many of them repeat, built once: the response envelopes (the handlers build
`{"article": ...}` by hand, so the document needs shapes for them), the error responses (each a
GenericErrorModel body), the path parameters, and the extensions that teach drf-spectacular
the project's own classes: the `Token` scheme of JWTAuthentication, the custom serializer
fields, and the WWW-Authenticate header every 401 carries. The views import it, which registers
the extensions before the first document is generated.
"""

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers

from django_app.conduit.serializers import (
    MAX_TAG_LENGTH,
    MAX_TAGS,
    ArticlePreviewSerializer,
    ArticleSerializer,
    CommentSerializer,
    ProfileSerializer,
    UserSerializer,
)

# Extensions for the project's classes.

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


class TokenScheme(OpenApiAuthenticationExtension):
    """JWTAuthentication as the spec's `Token` scheme: the whole header value, word and jwt."""

    target_class = "django_app.conduit.authentication.JWTAuthentication"
    name = "Token"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        """An apiKey, so Swagger UI's Authorize button sends what the user types, as typed."""
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <jwt>`",
        }


class BoundedIntegerFieldExtension(OpenApiSerializerFieldExtension):
    """A query-string integer, with the bounds of this instance."""

    target_class = "django_app.conduit.serializers.BoundedIntegerField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        """An integer in [minimum, maximum]."""
        schema = build_basic_type(OpenApiTypes.INT) or {}
        return {**schema, "minimum": self.target.minimum, "maximum": self.target.maximum}


class FilterFieldExtension(OpenApiSerializerFieldExtension):
    """An exact-match query-string filter."""

    target_class = "django_app.conduit.serializers.FilterField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        """A string."""
        return build_basic_type(OpenApiTypes.STR) or {}


class TimestampFieldExtension(OpenApiSerializerFieldExtension):
    """An output timestamp, as the spec's Timestamp component: UTC, milliseconds, a Z."""

    target_class = "django_app.conduit.serializers.TimestampField"

    def get_name(self) -> str:
        """Shared by every createdAt and updatedAt."""
        return "Timestamp"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        """A date-time string in TimestampField's one format."""
        schema = build_basic_type(OpenApiTypes.DATETIME) or {}
        return {**schema, "pattern": TIMESTAMP_PATTERN, "examples": ["2026-01-02T03:04:05.678Z"]}


class TagListFieldExtension(OpenApiSerializerFieldExtension):
    """An input tagList, as the spec's TagList component."""

    target_class = "django_app.conduit.serializers.TagListField"

    def get_name(self) -> str:
        """Shared by NewArticle and UpdateArticle."""
        return "TagList"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        """At most MAX_TAGS names of 1 to MAX_TAG_LENGTH characters."""
        name = {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH}
        return {**build_array_type(name), "maxItems": MAX_TAGS}


# Every 401 carries the API's one challenge (exceptions.exception_handler adds it).
WWW_AUTHENTICATE = OpenApiParameter(
    "WWW-Authenticate",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Always `Token`.",
    response=[401],
)
# Every 429 says when to try again (exceptions.exception_handler adds it).
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    required=True,
    description="Seconds until an attempt may succeed again.",
    response=[429],
)


class ConduitAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema (DEFAULT_SCHEMA_CLASS), with the API's two conventions."""

    def get_override_parameters(self) -> list[Any]:
        """The operation's own parameters, and the headers of its 401 and 429 responses."""
        return [*super().get_override_parameters(), WWW_AUTHENTICATE, RETRY_AFTER]

    def get_auth(self) -> list[dict[str, list[str]]]:
        """Security as the spec writes it: none where no token is read, else anonymous ({}) first.

        drf-spectacular says `[{}]` (anonymous allowed) for the first and lists `{}` last for the
        second: the same meaning in another order.
        """
        if not self.view.get_authenticators():
            return []
        return sorted(super().get_auth(), key=len)


# Path parameters.

SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The article's slug.")
USERNAME = OpenApiParameter(
    "username", str, OpenApiParameter.PATH, description="The profile's username."
)
COMMENT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The comment's id.")


# Success responses: the envelopes the handlers build.


def envelope(name: str, description: str, **fields: serializers.Field[Any, Any, Any, Any]) -> Any:
    """A response whose body is an object of `fields`, as component `name`."""
    return OpenApiResponse(inline_serializer(name, fields), description=description)


USER = envelope("UserResponse", "A user, with a token.", user=UserSerializer())


def no_store(status_code: int) -> OpenApiParameter:
    """The `Cache-Control: no-store` that views/users.py sends with a token, documented on the
    success as the spec's UserResponse has it."""
    return OpenApiParameter(
        "Cache-Control",
        {"const": "no-store"},
        OpenApiParameter.HEADER,
        required=True,
        description="`no-store`: a response that carries a token is kept by no cache.",
        response=[status_code],
    )


PROFILE = envelope("ProfileResponse", "A profile.", profile=ProfileSerializer())
ARTICLE = envelope("SingleArticleResponse", "An article.", article=ArticleSerializer())
ARTICLES = envelope(
    "MultipleArticlesResponse",
    "A page of articles and the number of all matching articles.",
    articles=ArticlePreviewSerializer(many=True),
    articlesCount=serializers.IntegerField(min_value=0),
)
COMMENT = envelope("SingleCommentResponse", "A comment.", comment=CommentSerializer())
COMMENTS = envelope(
    "MultipleCommentsResponse", "Comments, oldest first.", comments=CommentSerializer(many=True)
)
TAGS = envelope(
    "TagsResponse", "Tags in use.", tags=serializers.ListField(child=serializers.CharField())
)
HEALTH = envelope(
    "HealthResponse",
    "The app and its database are up.",
    status=serializers.CharField(help_text="Always `ok`."),
)
DELETED = OpenApiResponse(description="Deleted.")


# Error responses: every one a GenericErrorModel body, `{"errors": {"<key>": ["<message>"]}}`.

GENERIC_ERROR_MODEL = inline_serializer(
    "GenericErrorModel",
    {
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField(), min_length=1)
        )
    },
)


def error(description: str, **examples: dict[str, list[str]]) -> OpenApiResponse:
    """An error response; each example is the `errors` object of one body it may have."""
    return OpenApiResponse(
        GENERIC_ERROR_MODEL,
        description=description,
        examples=[OpenApiExample(name, {"errors": errors}) for name, errors in examples.items()],
    )


ERRORS = {
    400: error("The body is not valid JSON.", invalid={"request": ["is not valid JSON"]}),
    401: error(
        "Missing or bad token (`is invalid`, whatever the reason), or wrong credentials at login.",
        missing={"token": ["is missing"]},
        invalid={"token": ["is invalid"]},
        credentials={"credentials": ["invalid"]},
    ),
    403: error(
        "Only the author may do this. The key names the resource.",
        forbidden={"article": ["forbidden"]},
    ),
    404: error(
        "Unknown resource. The key names it (article, profile, comment).",
        unknown={"article": ["not found"]},
    ),
    409: error(
        "The username or email is already taken (one key per taken field).",
        taken={"username": ["has already been taken"]},
    ),
    413: error("The request body is over 1 MiB.", too_large={"request": ["is too large"]}),
    415: error(
        "The body was not sent as application/json.",
        not_json={"request": ["must be application/json"]},
    ),
    422: error(
        "Validation failed; one message per failing field.", invalid={"title": ["can't be blank"]}
    ),
    429: error(
        "Too many attempts from this client address, or too many failed logins for this account.",
        too_many={"request": ["too many attempts, try again later"]},
    ),
    503: error("The database does not answer.", unavailable={"database": ["is unavailable"]}),
}
# What can go wrong with a JSON request body, before and while it is validated.
BODY_ERRORS = (400, 413, 415, 422)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation, in the order of their status codes."""
    return {code: ERRORS[code] for code in sorted(codes)}
