"""Wire shapes: DRF serializers named after the spec's components, and all input parsing.

Request bodies are read by the *RequestSerializer envelopes around the input objects
(New*/Update*/Login*), which hold every field rule of the API: each failing field reports the
first rule it breaks, in the order presence, type, length, format (exceptions.py keeps that
first message). Query strings are read by PaginationSerializer and ArticleFiltersSerializer.
Output serializers (User, Profile, Article, Comment) render exactly the spec's keys; the
caller-relative flags they print come from the QuerySet annotations in models.py.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from django_app.conduit.models import Article, Comment, User, has_invisible_characters, storable

BLANK = "can't be blank"
NOT_AN_OBJECT = "must be an object"
USERNAME_PATTERN = re.compile(r"^\w[\w.-]*$")
# Not in any part of an email: `@`, whitespace in Python's sense and in ECMA-262's `\s` (so
# U+001C-U+001F, U+0085 and U+FEFF alike), control and format characters (Unicode Cc, Cf). The
# spec's Email pattern spells out the same set (Unicode 14.0), so JSON Schema tools agree.
EMAIL_EXCLUDED = (
    "@\x00-\x20\x7f-\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e"
    "\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
EMAIL_PATTERN = re.compile(f"^[^{EMAIL_EXCLUDED}]+@[^{EMAIL_EXCLUDED}]+\\.[^{EMAIL_EXCLUDED}]+$")
MAX_TAGS = 20
MAX_TAG_LENGTH = 64
MAX_LIMIT = 100
# The largest value of an integer primary key on PostgreSQL: offsets and ids beyond it name nothing.
MAX_ID = MAX_OFFSET = 2_147_483_647
INVALID = "is invalid"
DECIMAL_PATTERN = re.compile(r"[0-9]+")


def decimal_in_range(text: str, *, minimum: int, maximum: int) -> int | None:
    """`text` as an int if it is plain decimal digits within [minimum, maximum], else None.

    The digits are counted before calling int(), which refuses strings past 4300 digits.
    """
    if not DECIMAL_PATTERN.fullmatch(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    number = int(digits)
    return number if minimum <= number <= maximum else None


def validate_storable(value: str) -> None:
    """Refuse text no column can hold (NUL, lone surrogates) as a field error, not a DB crash."""
    if not storable(value):
        raise serializers.ValidationError(INVALID, code="invalid")


def validate_visible(value: str) -> None:
    """Refuse a username with an invisible character (a zero-width space, a Hangul filler...)."""
    if has_invisible_characters(value):
        raise serializers.ValidationError(INVALID, code="invalid")


class StringField(serializers.CharField):
    """A JSON string field with the API's messages.

    Unlike DRF's CharField it refuses numbers and booleans instead of coercing them, treats a
    whitespace-only value as blank even when it is not trimmed, and stores a blank optional
    value as null. After the length rule come the storable rule and `pattern`, the format rule,
    then with `visible` the refusal of invisible characters (usernames).
    """

    default_error_messages = {
        "required": BLANK,
        "null": BLANK,
        "blank": BLANK,
        "not_a_string": "must be a string",
        "max_length": "is too long (maximum is {max_length} characters)",
        "min_length": "is too short (minimum is {min_length} characters)",
        "invalid": INVALID,
    }

    def __init__(
        self, *, pattern: re.Pattern[str] | None = None, visible: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        # DRF's own NUL and surrogate validators (in DRF's wording) give way to the API's one
        # rule, shared with tagList; like them it runs after the length rule, before `pattern`.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(
                validator, ProhibitNullCharactersValidator | ProhibitSurrogateCharactersValidator
            )
        ]
        self.validators.append(validate_storable)
        if pattern is not None:
            self.validators.append(RegexValidator(pattern, message=INVALID))
        if visible:
            self.validators.append(validate_visible)

    def run_validation(self, data: Any = empty) -> Any:
        """Blank (empty or whitespace-only) is an error, or null for optional nullable fields."""
        if isinstance(data, str) and not data.strip():
            if not self.allow_blank:
                self.fail("blank")
            return None if self.allow_null else ""
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        """Accept only real strings."""
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class TagListField(serializers.Field[list[str], Any, list[str], Any]):
    """An input `tagList`: a list of strings, trimmed, de-duplicated and sorted."""

    default_error_messages = {
        "required": BLANK,
        "null": "must be a list of strings",
        "not_a_list": "must be a list of strings",
        "blank_tag": "can't contain blank tags",
        "too_many": f"is too long (maximum is {MAX_TAGS} tags)",
        "too_long": f"is too long (maximum is {MAX_TAG_LENGTH} characters)",
    }

    def to_internal_value(self, data: Any) -> list[str]:
        """The distinct trimmed tag names in code-point order."""
        if not isinstance(data, list) or not all(isinstance(tag, str) for tag in data):
            self.fail("not_a_list")
        names = {tag.strip() for tag in data}
        if "" in names:
            self.fail("blank_tag")
        if len(names) > MAX_TAGS:
            self.fail("too_many")
        if any(len(name) > MAX_TAG_LENGTH for name in names):
            self.fail("too_long")
        for name in names:
            validate_storable(name)
        return sorted(names)


def timestamp(value: datetime) -> str:
    """A stored timestamp as the API writes it: UTC with milliseconds and a Z."""
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


class TimestampField(serializers.DateTimeField):
    """UTC with milliseconds and a Z: 2026-01-02T03:04:05.678Z."""

    def to_representation(self, value: datetime) -> str:
        """Format a stored timestamp."""
        return timestamp(value)


# Input objects: the inner part of each request body (also what `seed` validates its records with).


class NewUserSerializer(serializers.Serializer[None]):
    """CreateUser's `user` object."""

    username = StringField(max_length=64, pattern=USERNAME_PATTERN, visible=True)
    email = StringField(max_length=254, pattern=EMAIL_PATTERN)
    password = StringField(min_length=8, max_length=128, trim_whitespace=False)


class LoginUserSerializer(serializers.Serializer[None]):
    """Login's `user` object; the password is only checked for presence and type."""

    email = StringField(max_length=254, pattern=EMAIL_PATTERN)
    password = StringField(trim_whitespace=False)


class UpdateUserSerializer(serializers.Serializer[None]):
    """UpdateCurrentUser's `user` object: every field optional, only given ones change."""

    username = StringField(required=False, max_length=64, pattern=USERNAME_PATTERN, visible=True)
    email = StringField(required=False, max_length=254, pattern=EMAIL_PATTERN)
    password = StringField(required=False, min_length=8, max_length=128, trim_whitespace=False)
    bio = StringField(required=False, allow_null=True, allow_blank=True, max_length=1000)
    image = StringField(required=False, allow_null=True, allow_blank=True, max_length=2048)


class NewArticleSerializer(serializers.Serializer[None]):
    """CreateArticle's `article` object; `tagList` arrives in validated_data as `tag_list`."""

    title = StringField(max_length=255)
    description = StringField(max_length=1000)
    body = StringField(max_length=65535, trim_whitespace=False)
    # camelCase names below are the wire names of the spec.
    tagList = TagListField(source="tag_list", required=False, default=list)


class UpdateArticleSerializer(serializers.Serializer[None]):
    """UpdateArticle's `article` object: omitted fields (and an omitted tagList) are kept."""

    title = StringField(required=False, max_length=255)
    description = StringField(required=False, max_length=1000)
    body = StringField(required=False, max_length=65535, trim_whitespace=False)
    tagList = TagListField(source="tag_list", required=False)


class NewCommentSerializer(serializers.Serializer[None]):
    """CreateArticleComment's `comment` object; the body is stored as sent."""

    body = StringField(max_length=10000, trim_whitespace=False)


# Request bodies.


class EnvelopeSerializer(serializers.Serializer[None]):
    """A request body `{"<name>": {...}}`: one nested field, `user = NewUserSerializer()`.

    `validated_data` is the inner object's. Where DRF's nested-field rules differ from the spec,
    the spec is applied here: a body that is not a JSON object has no envelope; a missing or null
    envelope "can't be blank", one that is not an object "must be an object"; and the inner
    object's field errors are reported at the top level (`{"username": [...]}`, not nested under
    "user").
    """

    def run_validation(self, data: Any = empty) -> Any:
        """The envelope's object, validated by the nested serializer."""
        ((name, inner),) = self.fields.items()
        envelope = data.get(name) if isinstance(data, Mapping) else None
        if envelope is None:
            raise serializers.ValidationError({name: [BLANK]})
        if not isinstance(envelope, Mapping):
            raise serializers.ValidationError({name: [NOT_AN_OBJECT]})
        return inner.run_validation(envelope)


class NewUserRequestSerializer(EnvelopeSerializer):
    """CreateUser's body."""

    user = NewUserSerializer()


class LoginUserRequestSerializer(EnvelopeSerializer):
    """Login's body."""

    user = LoginUserSerializer()


class UpdateUserRequestSerializer(EnvelopeSerializer):
    """UpdateCurrentUser's body."""

    user = UpdateUserSerializer()


class NewArticleRequestSerializer(EnvelopeSerializer):
    """CreateArticle's body."""

    article = NewArticleSerializer()


class UpdateArticleRequestSerializer(EnvelopeSerializer):
    """UpdateArticle's body."""

    article = UpdateArticleSerializer()


class NewCommentRequestSerializer(EnvelopeSerializer):
    """CreateArticleComment's body."""

    comment = NewCommentSerializer()


# Query strings.


class BoundedIntegerField(serializers.Field[int, str, int, Any]):
    """A query-string integer: plain decimal digits within [minimum, maximum].

    Not DRF's IntegerField, which also takes "1.0", " 5" and "1_000" and words its errors its
    own way; the spec has one message for every value it refuses.
    """

    default_error_messages = {"invalid": "must be an integer between {minimum} and {maximum}"}

    def __init__(self, *, minimum: int, maximum: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def to_internal_value(self, data: str) -> int:
        """The number, or the field's one message."""
        number = decimal_in_range(data, minimum=self.minimum, maximum=self.maximum)
        if number is None:
            self.fail("invalid", minimum=self.minimum, maximum=self.maximum)
        return number


class FilterField(serializers.Field[str | None, str, str, Any]):
    """An exact-match filter, kept as sent; an empty value means no filter (None).

    Not a CharField, which would trim the value and refuse a NUL: a value no row can hold
    simply matches nothing (ArticleQuerySet.matching).
    """

    def __init__(self, *, help_text: str) -> None:
        super().__init__(required=False, default=None, help_text=help_text)

    def to_internal_value(self, data: str) -> str | None:
        """The value, or None for an empty one."""
        return data or None


class QueryStringSerializer(serializers.Serializer[None]):
    """Reads `request.query_params`: a repeated parameter counts by its last value.

    Unknown parameters are ignored. DRF reads a QueryDict like an HTML form, where an empty field
    is absent; here an empty value is a value, so `?limit=` is a 422 (as in the other two apps),
    not the default.
    """

    def to_internal_value(self, data: Any) -> Any:
        """Validate the last value of each parameter, as a plain dict."""
        if isinstance(data, QueryDict):
            data = data.dict()
        return super().to_internal_value(data)


class PaginationSerializer(QueryStringSerializer):
    """GetArticlesFeed's query string (and the paging part of GetArticles')."""

    limit = BoundedIntegerField(
        minimum=1, maximum=MAX_LIMIT, default=20, help_text="How many articles to return."
    )
    offset = BoundedIntegerField(
        minimum=0, maximum=MAX_OFFSET, default=0, help_text="How many matching articles to skip."
    )


class ArticleFiltersSerializer(PaginationSerializer):
    """GetArticles' query string: AND-combined exact-match filters, then paging."""

    tag = FilterField(help_text="Only articles with this tag.")
    author = FilterField(help_text="Only articles by this username.")
    favorited = FilterField(help_text="Only articles favorited by this username.")


# Output shapes: read-only, and so documented with every field present (required).


class UserSerializer(serializers.ModelSerializer[User]):
    """The signed-in user; the token comes from the view (fresh or the one presented)."""

    token = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["email", "token", "username", "bio", "image"]
        read_only_fields = fields

    def get_token(self, user: User) -> str:
        """The token passed in the serializer context."""
        token: str = self.context["token"]
        return token


class ProfileSerializer(serializers.ModelSerializer[User]):
    """A user as others see them; `following` is annotated by `User.objects.with_following`."""

    following = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["username", "bio", "image", "following"]
        read_only_fields = fields


# The output serializers below are plain Serializers over Any: the stubs type a plain
# Serializer's instance as one object, and the lists pass a list of them with many=True.
#
# Their fields document the shape (drf-spectacular reads them for /openapi.json); their
# to_representation() writes the same keys straight from the row. DRF's generic path runs, for
# every field of every item, the field's source lookup (an isinstance check against Mapping per
# attribute) and its own to_representation; on a list of 20 articles that was most of the
# serializer's time. Overriding to_representation for read-only output is the hook DRF
# documents ("Overriding serialization and deserialization behavior"); test_api.py checks the
# keys against the declared fields.
#
# The list views call `Serializer(many=True).to_representation(rows)` rather than reading
# `Serializer(rows, many=True).data`. many=True builds a ListSerializer and a child that point
# at each other (`child.parent`), a reference cycle that only the cyclic garbage collector frees,
# and both keep the rows they were built with (`instance`, and `_args` for their repr), as the
# ListSerializer keeps the list it made (`_data`). With `.data`, a thread of 580 comments stayed
# in memory for many requests after its own; given nothing, the serializers hold nothing, and
# the rows go when the view returns. tests/test_memory.py counts what a list leaves behind.


def author_representation(row: Any) -> dict[str, Any]:
    """The spec's Profile of the author joined to `row` (an article or a comment), with the
    `author_following` annotation of its `with_viewer` QuerySet."""
    author = row.author
    return {
        "username": author.username,
        "bio": author.bio,
        "image": author.image,
        "following": row.author_following,
    }


class AuthorSerializer(serializers.Serializer[Any]):
    """The author of an article or comment as `viewer` sees them (the spec's Profile).

    It reads the row the author wrote (`source="*"`): `with_viewer` joins the author and
    annotates the row with `author_following`, so no second query loads the profiles.
    """

    username = serializers.CharField(source="author.username", read_only=True)
    bio = serializers.CharField(source="author.bio", read_only=True, allow_null=True)
    image = serializers.CharField(source="author.image", read_only=True, allow_null=True)
    following = serializers.BooleanField(source="author_following", read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, read straight off the row."""
        return author_representation(instance)


class ArticleSerializer(serializers.Serializer[Any]):
    """An article read through `Article.objects.with_viewer`.

    A plain Serializer with its fields spelled out, not a ModelSerializer: nothing here is
    written, and a ModelSerializer would inspect the model again for every response.
    """

    # Whether the answer shows `body` (list items do not, and their rows do not load it).
    shows_body = True

    slug = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    tagList = serializers.SerializerMethodField(method_name="get_tag_list")
    createdAt = TimestampField(source="created_at", read_only=True)
    updatedAt = TimestampField(source="updated_at", read_only=True)
    favorited = serializers.BooleanField(read_only=True)
    favoritesCount = serializers.IntegerField(source="favorites_count", read_only=True)
    author = AuthorSerializer(source="*", read_only=True)

    def get_tag_list(self, article: Article) -> list[str]:
        """Names of the article's tags (attach_tag_names), in code-point order whatever the
        database's collation."""
        return sorted(article.tag_names)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, in their order, read straight off the annotated row."""
        article: Article = instance
        data: dict[str, Any] = {
            "slug": article.slug,
            "title": article.title,
            "description": article.description,
        }
        if self.shows_body:
            data["body"] = article.body
        data["tagList"] = self.get_tag_list(article)
        data["createdAt"] = timestamp(article.created_at)
        data["updatedAt"] = timestamp(article.updated_at)
        data["favorited"] = article.favorited
        data["favoritesCount"] = article.favorites_count
        data["author"] = author_representation(article)
        return data


class ArticlePreviewSerializer(ArticleSerializer):
    """An article in a list (GetArticles, GetArticlesFeed): the same without `body`."""

    shows_body = False
    body = None  # type: ignore[assignment]  # None removes an inherited field (DRF documents it)


class CommentSerializer(serializers.Serializer[Any]):
    """A comment read through `Comment.objects.with_viewer`."""

    id = serializers.IntegerField(read_only=True)
    createdAt = TimestampField(source="created_at", read_only=True)
    updatedAt = TimestampField(source="updated_at", read_only=True)
    body = serializers.CharField(read_only=True)
    author = AuthorSerializer(source="*", read_only=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """The fields above, in their order, read straight off the annotated row."""
        comment: Comment = instance
        return {
            "id": comment.pk,
            "createdAt": timestamp(comment.created_at),
            "updatedAt": timestamp(comment.updated_at),
            "body": comment.body,
            "author": author_representation(comment),
        }
