"""ORM models and the read side: QuerySet methods that shape every list in a constant query count.

Reads annotate the caller-relative flags (`favorited`, `author_following`) with EXISTS
subqueries and `favorites_count` with a COUNT subquery and join the author (select_related);
attach_tag_names loads a page's tag names in one more query, so a page of 20 articles costs the
same number of queries as a page of one.
Writes live in services.py.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Self

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

# NUL, which PostgreSQL refuses in text values, and lone surrogates, which no UTF-8 column holds.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """Could a text column hold `text`? If not, no row has it: a lookup by it finds nothing."""
    return UNSTORABLE.search(text) is None


# Default-ignorable code points that are not format characters (category Cf, refused as a
# whole): the Hangul fillers and the combining grapheme joiner, letters or marks no one sees.
INVISIBLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0]")

# The longest a key can grow: NFKC turns one character into up to 18 (U+FDFA), case folding
# into up to 3 (U+0390); the keys of the longest username and email must still fit.
USERNAME_KEY_LENGTH = 64 * 18
EMAIL_KEY_LENGTH = 254 * 3


def has_invisible_characters(value: str) -> bool:
    """Whether `value` holds a character a reader cannot see (a zero-width space, a joiner, a
    byte order mark, a Hangul filler...): two such names would look the same, so usernames
    may not hold one."""
    if INVISIBLE.search(value):
        return True
    return any(unicodedata.category(char) == "Cf" for char in value)


def canonical_username(username: str) -> str:
    """The key two usernames share when a reader would take them for one name: the NFKC case
    fold (`MASS`, `mass` and `mass` in full-width letters are `mass`; composed and decomposed
    accents agree). Unique in the database; profiles and filters are looked up by it."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def canonical_email(email: str) -> str:
    """The key two emails share when they differ only in case (case folding); unique in the
    database, and what Login matches. The email itself is kept as typed."""
    return email.casefold()


def utc_now() -> datetime:
    """Now in UTC, truncated to milliseconds: the precision the API serialises timestamps in."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def follows(viewer: User | None, followed: str) -> Exists | Value:
    """Does `viewer` follow the user in the outer query's column `followed` (false if anonymous)."""
    if viewer is None:
        return Value(False)
    return Exists(Follow.objects.filter(follower=viewer, followed=OuterRef(followed)))


class UserQuerySet(models.QuerySet["User"]):
    """Profile reads, relative to the caller."""

    def with_following(self, viewer: User | None) -> Self:
        """Annotate `following`: does `viewer` follow this user (false when anonymous)."""
        return self.annotate(following=follows(viewer, "pk"))


class UserManager(BaseUserManager["User"]):
    """Creates users for `createsuperuser`; emails are stored exactly as given (no normalising).

    The model's manager is `UserManager.from_queryset(UserQuerySet)`, built there rather than
    inherited from here: the django-stubs plugin types a from_queryset() class only at its use.
    """

    def create_user(
        self, email: str, username: str, password: str | None = None, **extra: object
    ) -> User:
        """Create a user with a hashed password (None leaves it unusable)."""
        user = self.model(email=email, username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, username: str, password: str, **extra: object) -> User:
        """Create a staff superuser for the admin."""
        return self.create_user(
            email, username, password, is_staff=True, is_superuser=True, **extra
        )


class User(AbstractBaseUser, PermissionsMixin):
    """An account; signs in with email and password, appears to others as a profile."""

    username = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254, unique=True)
    # canonical_username(username) and canonical_email(email), set by save(): uniqueness and
    # lookups go through these, so spellings of one name are one account.
    username_key = models.CharField(max_length=USERNAME_KEY_LENGTH, unique=True, editable=False)
    email_key = models.CharField(max_length=EMAIL_KEY_LENGTH, unique=True, editable=False)
    # The API distinguishes "no bio" (null) from a bio; "" is stored as null.
    bio = models.TextField(null=True, blank=True)  # noqa: DJ001
    image = models.CharField(max_length=2048, null=True, blank=True)  # noqa: DJ001
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=utc_now, editable=False)
    # What is kept of the token that made the latest password change through the API, which
    # stays valid after it: password_change_digest(token, password), never the token itself.
    # Null, not "", as in the other apps' schema: no token made a change.
    password_change_token_digest = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    objects = UserManager.from_queryset(UserQuerySet)()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    def __str__(self) -> str:
        return self.username

    def validate_unique(self, exclude: Collection[str] | None = None) -> None:
        """Model validation (the admin's forms) checks the keys with their fields, so another
        spelling of a taken name is an error on the form's field, not an IntegrityError."""
        self.username_key = canonical_username(self.username)
        self.email_key = canonical_email(self.email)
        excluded = set(exclude or ())
        excluded -= {f"{field}_key" for field in ("username", "email") if field not in excluded}
        try:
            super().validate_unique(exclude=excluded)
        except ValidationError as error:
            errors = error.message_dict
            for field in ("username", "email"):
                if f"{field}_key" in errors:
                    del errors[f"{field}_key"]
                    errors.setdefault(field, [f"A user with that {field} already exists."])
            raise ValidationError(errors) from None

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Set the keys from the username and email first, whoever saves (API, admin, seed)."""
        self.username_key = canonical_username(self.username)
        self.email_key = canonical_email(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            changed = set(update_fields)
            kwargs["update_fields"] = changed | {
                f"{name}_key" for name in changed & {"username", "email"}
            }
        super().save(*args, **kwargs)


# What a read joining the author loads of the user: the profile the API shows.
AUTHOR_FIELDS = ("author__username", "author__bio", "author__image")


class Follow(models.Model):
    """`follower` follows `followed`; one row per pair, never yourself."""

    # No index of its own: conduit_follow_unique (follower, followed) serves lookups by follower.
    follower = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="following_links", db_index=False
    )
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_links")
    created_at = models.DateTimeField(default=utc_now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="conduit_follow_unique"),
            models.CheckConstraint(
                condition=~Q(follower=F("followed")), name="conduit_follow_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followed_id}"


class TagQuerySet(models.QuerySet["Tag"]):
    """Tag reads."""

    def usage(self) -> models.QuerySet[Tag, tuple[str, int]]:
        """(name, number of articles) for each tag on at least one article."""
        in_use = self.annotate(article_count=Count("articles")).filter(article_count__gt=0)
        return in_use.values_list("name", "article_count")


class Tag(models.Model):
    """A tag name, shared by every article that carries it."""

    name = models.CharField(max_length=64, unique=True)

    objects = TagQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet["Article"]):
    """Article reads: filters, order and the caller-relative annotations."""

    def matching(
        self, *, tag: str | None = None, author: str | None = None, favorited: str | None = None
    ) -> Self:
        """Filter by tag name, author username and favoriting username (exact, AND-combined;
        usernames in any spelling of them, by their key).

        A value no row can hold matches nothing, decided here: PostgreSQL would refuse the query.
        """
        if not all(storable(value) for value in (tag, author, favorited) if value is not None):
            return self.none()
        articles = self
        if tag is not None:
            articles = articles.filter(tags__name=tag)
        if author is not None:
            articles = articles.filter(author__username_key=canonical_username(author))
        if favorited is not None:
            favorites = Favorite.objects.filter(
                article=OuterRef("pk"), user__username_key=canonical_username(favorited)
            )
            articles = articles.filter(Exists(favorites))
        return articles

    def followed_by(self, user: User) -> Self:
        """Articles whose author `user` follows (the feed)."""
        return self.filter(
            Exists(Follow.objects.filter(follower=user, followed=OuterRef("author")))
        )

    def without_body(self) -> Self:
        """Leave out the body, which list items (ArticlePreviewSerializer) do not show."""
        return self.defer("body")

    def newest_first(self) -> Self:
        """Order newest first; the id breaks ties between equal timestamps."""
        return self.order_by("-created_at", "-id")

    def with_viewer(self, viewer: User | None, *, authors_followed: bool = False) -> Self:
        """Annotate favorited, favorites_count and author_following as `viewer` sees them; join
        the author (the profile columns only). The tags are loaded after the page, by
        attach_tag_names.

        `authors_followed=True` says the rows are already limited to authors `viewer` follows
        (the feed, `followed_by`): author_following is then true without a second subquery.
        """
        if viewer is None:
            favorited: Exists | Value = Value(False)
        else:
            favorited = Exists(Favorite.objects.filter(article=OuterRef("pk"), user=viewer))
        author_following = Value(True) if authors_followed else follows(viewer, "author")
        return (
            self.select_related("author")
            .only(
                "slug", "title", "description", "body", "created_at", "updated_at", *AUTHOR_FIELDS
            )
            .annotate(
                favorited=favorited,
                favorites_count=favorites_count(),
                author_following=author_following,
            )
        )


@functools.cache
def favorites_count() -> Coalesce:
    """The number of favorites of the outer query's article (a COUNT subquery, 0 when none).

    Built once: it is the same for every caller, and annotate() resolves a copy of an
    expression, never the expression itself, so each QuerySet gets its own.
    """
    counts = (
        Favorite.objects.filter(article=OuterRef("pk"))
        .order_by()
        .values("article")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts), 0)


class Article(models.Model):
    """A post; its slug (from the title) is its public identifier."""

    slug = models.SlugField(max_length=255, unique=True, allow_unicode=True)
    title = models.CharField(max_length=255)
    description = models.TextField()
    body = models.TextField()
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="articles")
    tags = models.ManyToManyField(Tag, related_name="articles", blank=True)
    created_at = models.DateTimeField(default=utc_now, editable=False)
    updated_at = models.DateTimeField(default=utc_now)

    objects = ArticleQuerySet.as_manager()

    # Annotated by ArticleQuerySet.with_viewer, and set by attach_tag_names; the other rows
    # never have them.
    favorited: bool
    favorites_count: int
    author_following: bool
    tag_names: list[str]

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="conduit_article_newest")]

    def __str__(self) -> str:
        return self.title


def attach_tag_names(articles: Sequence[Article]) -> None:
    """Set `tag_names` on each article of a page read through `with_viewer`: one query of
    (article id, tag name) pairs, through the articles' tag table.

    Prefetch("tags", to_attr=...) would answer with the same one query, but it builds a Tag
    instance per name and runs Django's generic prefetch machinery; the answer shows names only,
    so values_list() is enough, at a third of the cost on a page of 20.
    """
    by_id: dict[int, list[str]] = {article.pk: [] for article in articles}
    pairs = Article.tags.through.objects.filter(article__in=by_id).values_list(
        "article_id", "tag__name"
    )
    for article_id, name in pairs:
        by_id[article_id].append(name)
    for article in articles:
        article.tag_names = by_id[article.pk]


class Favorite(models.Model):
    """`user` favorited `article`; one row per pair."""

    # No index of its own: conduit_favorite_unique (user, article) serves lookups by user.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="favorites", db_index=False
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(default=utc_now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="conduit_favorite_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} favorited {self.article_id}"


class CommentQuerySet(models.QuerySet["Comment"]):
    """Comment reads."""

    def with_viewer(self, viewer: User | None) -> Self:
        """Join each comment's author (the profile columns) and annotate `author_following`."""
        return (
            self.select_related("author")
            .only("body", "created_at", "updated_at", *AUTHOR_FIELDS)
            .annotate(author_following=follows(viewer, "author"))
        )

    def oldest_first(self) -> Self:
        """Order oldest first; the id breaks ties between equal timestamps."""
        return self.order_by("created_at", "id")


class Comment(models.Model):
    """A comment on an article."""

    # No index of its own: conduit_comment_thread (article, created_at, id) leads with it.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(User, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    created_at = models.DateTimeField(default=utc_now, editable=False)
    updated_at = models.DateTimeField(default=utc_now)

    objects = CommentQuerySet.as_manager()

    # Annotated by CommentQuerySet.with_viewer (and set by services.add_comment).
    author_following: bool

    class Meta:
        indexes = [
            models.Index(fields=["article", "created_at", "id"], name="conduit_comment_thread")
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.article_id}"
