"""Domain operations, named as in the other two apps (keyword-only, typed).

Writes happen here, in transactions, and return what the API answers with, read back through
the QuerySet methods of models.py. Reads are thin wrappers over those QuerySet methods that add
the API's 404s. The author-only rule is not here: in DRF it is an object permission
(permissions.IsAuthorOrReadOnly) that GenericAPIView.get_object checks on the row it found, so
the operations that need it (update_article, delete_article, delete_comment) take that object.
The one public helper beyond the shared names, article_comments, is the queryset such a lookup
searches for a comment.
"""

import functools
import re
import unicodedata
from typing import Any, TypeVar

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Model, Q, QuerySet

from django_app.conduit.authentication import password_change_digest
from django_app.conduit.exceptions import (
    ConflictError,
    DatabaseUnavailableError,
    InvalidCredentialsError,
    NotFoundError,
    UnprocessableError,
)
from django_app.conduit.models import (
    Article,
    Comment,
    Favorite,
    Follow,
    Tag,
    User,
    attach_tag_names,
    canonical_email,
    canonical_username,
    storable,
    utc_now,
)

SLUG_MAX_LENGTH = 100
# Attempts at a unique slug: one more is needed for each concurrent writer of the same title.
SLUG_ATTEMPTS = 32

ModelT = TypeVar("ModelT", bound=Model)


def _get_or_404(queryset: QuerySet[ModelT], resource: str, **lookup: str) -> ModelT:
    """The row matching `lookup` (a unique one, from the URL path), or 404 `resource`.

    A value no row can hold (a NUL from `%00`) is not found without a query, which PostgreSQL
    would refuse. get(), not first(): a unique lookup needs no ORDER BY, and first() would
    clone the QuerySet once more to add one.
    """
    if not all(storable(value) for value in lookup.values()):
        raise NotFoundError(resource)
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist:
        raise NotFoundError(resource) from None


# Users and authentication.


@functools.cache
def _dummy_password_hash() -> str:
    """A real hash to verify against when the email is unknown, so timing reveals nothing."""
    return make_password("not-a-real-password-only-for-constant-timing")


def _taken_fields(
    *, username: str | None, email: str | None, user: User | None = None
) -> list[str]:
    """Which of username/email another account (not `user`) already has, in any spelling that
    has the same key."""
    others = User.objects.exclude(pk=user.pk) if user is not None else User.objects.all()
    taken = []
    if username is not None and others.filter(username_key=canonical_username(username)).exists():
        taken.append("username")
    if email is not None and others.filter(email_key=canonical_email(email)).exists():
        taken.append("email")
    return taken


def _save_unique(user: User, **save_kwargs: Any) -> None:
    """Save `user`; a unique-constraint race with another request is still a 409."""
    try:
        with transaction.atomic():
            user.save(**save_kwargs)
    except IntegrityError as error:
        taken = _taken_fields(username=user.username, email=user.email, user=user)
        raise ConflictError(taken or ["username"]) from error


def register_user(*, username: str, email: str, password: str) -> User:
    """Create an account; 409 if the username or email is taken."""
    if taken := _taken_fields(username=username, email=email):
        raise ConflictError(taken)
    user = User(username=username, email=email)
    user.set_password(password)
    _save_unique(user)
    return user


def authenticate(*, email: str, password: str) -> User:
    """The account with this email (in any case) and password; 401 with one message for every
    failure."""
    user = User.objects.filter(email_key=canonical_email(email), is_active=True).first()
    if user is None:
        check_password(password, _dummy_password_hash())
        raise InvalidCredentialsError
    if not user.check_password(password):
        raise InvalidCredentialsError
    return user


def update_user(*, user: User, changes: dict[str, Any], token: str | None = None) -> User:
    """Apply the given fields (an empty dict changes nothing); 409 if username/email is taken.
    A new password ends every token issued before it but `token`, the one that sent it (None,
    from the seed: all of them)."""
    if not changes:
        return user
    if taken := _taken_fields(
        username=changes.get("username"), email=changes.get("email"), user=user
    ):
        raise ConflictError(taken)
    for field in ("username", "email", "bio", "image"):
        if field in changes:
            setattr(user, field, changes[field])
    if "password" in changes:
        user.set_password(changes["password"])
        user.password_change_token_digest = (
            password_change_digest(token, user.password) if token is not None else None
        )
    _save_unique(user)
    return user


# Profiles.


def _user_or_404(username: str) -> User:
    """The user with this username (in any spelling of it), or 404 profile."""
    return _get_or_404(User.objects.all(), "profile", username_key=canonical_username(username))


def get_profile(*, viewer: User | None, username: str) -> User:
    """A profile as `viewer` sees it (annotated `following`); 404 if unknown. Any spelling of
    the username finds it."""
    profiles = User.objects.with_following(viewer)
    return _get_or_404(profiles, "profile", username_key=canonical_username(username))


def follow_user(*, user: User, username: str) -> User:
    """Follow `username` (idempotent); 422 for yourself."""
    target = _user_or_404(username)
    if target.pk == user.pk:
        raise UnprocessableError("profile", "cannot follow yourself")
    # get_or_create absorbs the IntegrityError of a concurrent duplicate follow.
    Follow.objects.get_or_create(follower=user, followed=target)
    return get_profile(viewer=user, username=username)


def unfollow_user(*, user: User, username: str) -> User:
    """Stop following `username` (idempotent; unfollowing yourself is a no-op)."""
    target = _user_or_404(username)
    Follow.objects.filter(follower=user, followed=target).delete()
    return get_profile(viewer=user, username=username)


# Articles.


# Slugs that would be shadowed by a fixed route under /articles/ (GET /articles/feed).
RESERVED_SLUGS = frozenset({"feed"})


def slugify(title: str) -> str:
    """The slug base of a title, identical in the three apps: "Crème Brûlée!" -> "creme-brulee"."""
    decomposed = unicodedata.normalize("NFKD", title)
    text = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    slug = re.sub(r"[\W_]+", "-", text).strip("-")
    return slug[:SLUG_MAX_LENGTH].strip("-") or "article"


def _unique_slug(title: str, *, article_id: int | None, stored_slug: str | None) -> str:
    """`base`, else the first free `base-2`, `base-3`...; a saved article keeps a same-base slug."""
    base = slugify(title)
    if stored_slug is not None and re.fullmatch(rf"{re.escape(base)}(-[0-9]+)?", stored_slug):
        return stored_slug
    candidates = Article.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
    if article_id is not None:
        candidates = candidates.exclude(pk=article_id)
    taken = set(candidates.values_list("slug", flat=True)) | RESERVED_SLUGS
    slug, suffix = base, 1
    while slug in taken:
        suffix += 1
        slug = f"{base}-{suffix}"
    return slug


def _tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for `names`, creating the missing ones (concurrent creators do not clash)."""
    if not names:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def _save_article(article: Article, *, title_changed: bool, tag_list: list[str] | None) -> None:
    """Save with a unique slug (recomputed from a new title) and the tags, retrying slug races.

    The slug is picked inside the transaction: on SQLite, IMMEDIATE transactions hold the write
    lock from the start, so writers pick in turn. On PostgreSQL two writers can pick the same
    slug; the loser's write fails on the unique slug and it picks again. Each retry follows
    another writer's article taking that slug, so SLUG_ATTEMPTS bounds concurrent same-title
    writers, not bad luck; any other IntegrityError is re-raised at once.
    """
    stored_slug = article.slug if article.pk is not None else None
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                if title_changed:
                    article.slug = _unique_slug(
                        article.title, article_id=article.pk, stored_slug=stored_slug
                    )
                article.save()
                if tag_list is not None:
                    article.tags.set(_tags_named(tag_list))
            return
        except IntegrityError:
            slug_taken = Article.objects.filter(slug=article.slug).exclude(pk=article.pk).exists()
            if not (title_changed and slug_taken) or attempt == SLUG_ATTEMPTS - 1:
                raise


def _article_or_404(slug: str) -> Article:
    """The article with this slug, or 404 article: only its id, all its callers link to it."""
    return _get_or_404(Article.objects.only("id"), "article", slug=slug)


def list_articles(
    *,
    viewer: User | None,
    tag: str | None,
    author: str | None,
    favorited: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """A page of matching articles, newest first, and the total number of matches."""
    matching = Article.objects.matching(tag=tag, author=author, favorited=favorited)
    page = matching.with_viewer(viewer).without_body().newest_first()[offset : offset + limit]
    articles = list(page)
    attach_tag_names(articles)
    return articles, matching.count()


def feed_articles(*, user: User, limit: int, offset: int) -> tuple[list[Article], int]:
    """A page of articles by authors `user` follows, newest first, and their total number."""
    matching = Article.objects.followed_by(user)
    page = matching.with_viewer(user, authors_followed=True).without_body().newest_first()
    articles = list(page[offset : offset + limit])
    attach_tag_names(articles)
    return articles, matching.count()


def get_article(*, viewer: User | None, slug: str) -> Article:
    """One article as `viewer` sees it; 404 if unknown."""
    article = _get_or_404(Article.objects.with_viewer(viewer), "article", slug=slug)
    attach_tag_names([article])
    return article


def create_article(
    *, author: User, title: str, description: str, body: str, tag_list: list[str]
) -> Article:
    """Publish an article under a fresh unique slug."""
    now = utc_now()
    article = Article(
        author=author,
        title=title,
        description=description,
        body=body,
        created_at=now,
        updated_at=now,
    )
    _save_article(article, title_changed=True, tag_list=tag_list)
    return get_article(viewer=author, slug=article.slug)


def update_article(*, user: User, article: Article, changes: dict[str, Any]) -> Article:
    """Apply the given fields (the author check is done); updatedAt moves even if none changed."""
    for field in ("title", "description", "body"):
        if field in changes:
            setattr(article, field, changes[field])
    article.updated_at = utc_now()
    _save_article(article, title_changed="title" in changes, tag_list=changes.get("tag_list"))
    return get_article(viewer=user, slug=article.slug)


def delete_article(*, article: Article) -> None:
    """Delete an article (author checked) with its comments, favorites and tag links."""
    article.delete()


def favorite_article(*, user: User, slug: str) -> Article:
    """Favorite an article (idempotent)."""
    article = _article_or_404(slug)
    # get_or_create absorbs the IntegrityError of a concurrent duplicate favorite.
    Favorite.objects.get_or_create(user=user, article=article)
    return get_article(viewer=user, slug=slug)


def unfavorite_article(*, user: User, slug: str) -> Article:
    """Remove a favorite (idempotent)."""
    article = _article_or_404(slug)
    Favorite.objects.filter(user=user, article=article).delete()
    return get_article(viewer=user, slug=slug)


# Comments.


def list_comments(*, viewer: User | None, slug: str) -> list[Comment]:
    """An article's comments, oldest first; 404 if the article is unknown."""
    article = _article_or_404(slug)
    return list(Comment.objects.filter(article=article).with_viewer(viewer).oldest_first())


def add_comment(*, author: User, slug: str, body: str) -> Comment:
    """Comment on an article; 404 if the article is unknown."""
    article = _article_or_404(slug)
    now = utc_now()
    comment = Comment.objects.create(
        article=article, author=author, body=body, created_at=now, updated_at=now
    )
    # The answer is the row just written, not read back: its author is the caller, who
    # cannot follow themselves (conduit_follow_not_self).
    comment.author_following = False
    return comment


def article_comments(*, slug: str) -> QuerySet[Comment]:
    """The comments of the article `slug`, for DRF's lookup of one; 404 article if unknown."""
    return Comment.objects.filter(article=_article_or_404(slug))


def delete_comment(*, comment: Comment) -> None:
    """Delete a comment (author checked)."""
    comment.delete()


# Tags and health.


def list_tags() -> list[str]:
    """Names of tags on at least one article, most used first, then by name.

    Sorted here, not in SQL: ORDER BY name follows the database's collation, and the API wants
    ties in code-point order on every database.
    """
    usage = Tag.objects.usage()
    return [name for name, _ in sorted(usage, key=lambda row: (-row[1], row[0]))]


def check_database() -> None:
    """Run SELECT 1; 503 if the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        raise DatabaseUnavailableError from error
