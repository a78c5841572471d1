"""Domain operations: the only module that queries or changes the database for a request.

Every function is keyword-only and named as in the other two apps. Reads load everything a
response needs in a fixed number of queries (the author by join, tags by selectinload, and the
viewer's `favorited` / `following` flags and `favoritesCount` as columns of the same SELECT).
Writes check existence (404) before ownership (403), the author-only rule lives here.
Usernames, slugs and filter values from the URL are compared through `_equals`, so text no
row can hold (a NUL character, which PostgreSQL refuses outright) is never sent to the database.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, delete, exists, false, func, or_, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import (
    QueryableAttribute,
    contains_eager,
    defer,
    selectinload,
    with_expression,
)

from flask_app.errors import (
    ConflictError,
    ForbiddenError,
    InvalidCredentialsError,
    NotFoundError,
    UnavailableError,
    UnprocessableError,
)
from flask_app.extensions import db
from flask_app.models import (
    Article,
    Comment,
    Favorite,
    Follow,
    Tag,
    User,
    article_tags,
    is_storable_text,
    utcnow,
)

T = TypeVar("T")

# Writes that can lose a unique-constraint race (slug, tag name) are retried. Every lost round
# means another writer committed, so N simultaneous writers need at most N rounds.
WRITE_ATTEMPTS = 20
SLUG_MAX_LENGTH = 100
# Slugs that would be shadowed by a fixed route under /articles/ (GET /articles/feed).
RESERVED_SLUGS = frozenset({"feed"})

# Argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), the same in all three
# apps; argon2-cffi's default (64 MiB, 3 passes, 4 lanes) costs several times more CPU per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def _equals(column: QueryableAttribute[str], value: str) -> ColumnElement[bool]:
    """`column = value`, or a plain false when no row can hold `value` (it matches nothing)."""
    return column == value if is_storable_text(value) else false()


# --- users -----------------------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so timing does not tell."""
    return _hasher.hash("no account has this password")


def _taken_fields(*, username: str | None, email: str | None, exclude_id: int | None) -> list[str]:
    """Which of `username` / `email` another account already uses ("username" first)."""
    conditions = []
    if username is not None:
        conditions.append(User.username == username)
    if email is not None:
        conditions.append(User.email == email)
    if not conditions:
        return []
    query = select(User.username, User.email).where(or_(*conditions))
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    rows = db.session.execute(query).all()
    taken = []
    if username is not None and any(row.username == username for row in rows):
        taken.append("username")
    if email is not None and any(row.email == email for row in rows):
        taken.append("email")
    return taken


def _commit_account(*, username: str | None, email: str | None, exclude_id: int | None) -> None:
    """Commit an account change; losing a race on a unique column is still a 409."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = _taken_fields(username=username, email=email, exclude_id=exclude_id)
        if not taken:
            raise
        raise ConflictError(taken) from None


def register_user(*, username: str, email: str, password: str) -> User:
    """Create an account; 409 if the username or email is taken."""
    taken = _taken_fields(username=username, email=email, exclude_id=None)
    if taken:
        raise ConflictError(taken)
    user = User(username=username, email=email, password_hash=_hasher.hash(password))
    db.session.add(user)
    _commit_account(username=username, email=email, exclude_id=None)
    return user


def authenticate(*, email: str, password: str) -> User:
    """The account with these credentials; one 401 for an unknown email or a wrong password."""
    user = db.session.scalar(select(User).where(User.email == email))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentialsError() from None
    if user is None:
        raise InvalidCredentialsError()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.session.commit()
    return user


def update_user(*, user: User, changes: Mapping[str, Any]) -> User:
    """Apply the given fields; keeping your own username or email is not a conflict."""
    username, email = changes.get("username"), changes.get("email")
    taken = _taken_fields(username=username, email=email, exclude_id=user.id)
    if taken:
        raise ConflictError(taken)
    for field in ("username", "email", "bio", "image"):
        if field in changes:
            setattr(user, field, changes[field])
    if "password" in changes:
        user.password_hash = _hasher.hash(changes["password"])
    _commit_account(username=username, email=email, exclude_id=user.id)
    return user


# --- profiles --------------------------------------------------------------------------------


def _following(viewer: User | None) -> ColumnElement[bool]:
    """SQL for "the viewer follows this User row" (always false for anonymous viewers)."""
    if viewer is None:
        return false()
    return exists().where(Follow.follower_id == viewer.id, Follow.followed_id == User.id)


def _profile_query(viewer: User | None) -> Select[tuple[User]]:
    return (
        select(User)
        .options(with_expression(User.following, _following(viewer)))
        .execution_options(populate_existing=True)
    )


def _user_by_username(username: str) -> User:
    user = db.session.scalar(select(User).where(_equals(User.username, username)))
    if user is None:
        raise NotFoundError("profile")
    return user


def get_profile(*, viewer: User | None, username: str) -> User:
    """The user named `username`, with `following` relative to the viewer."""
    profile = db.session.scalar(_profile_query(viewer).where(_equals(User.username, username)))
    if profile is None:
        raise NotFoundError("profile")
    return profile


def follow_user(*, user: User, username: str) -> User:
    """Follow `username` (idempotent); following yourself is a 422."""
    target = _user_by_username(username)
    if target.id == user.id:
        raise UnprocessableError({"profile": ["cannot follow yourself"]})
    if db.session.get(Follow, (user.id, target.id)) is None:
        db.session.add(Follow(follower_id=user.id, followed_id=target.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent request made the same pair: same end state
    return get_profile(viewer=user, username=username)


def unfollow_user(*, user: User, username: str) -> User:
    """Stop following `username` (idempotent; unfollowing yourself is a no-op)."""
    target = _user_by_username(username)
    db.session.execute(
        delete(Follow).where(Follow.follower_id == user.id, Follow.followed_id == target.id)
    )
    db.session.commit()
    return get_profile(viewer=user, username=username)


# --- articles --------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """The URL slug for a title, identical in the three apps ("Crème Brûlée!" -> "creme-brulee")."""
    decomposed = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\W_]+", "-", text).strip("-")
    return text[:SLUG_MAX_LENGTH].strip("-") or "article"


def _unique_slug(title: str, *, exclude_id: int | None) -> str:
    """The title's slug if free, else the first free `slug-2`, `slug-3`, ..."""
    base = slugify(title)
    # Slugs contain no "%" or "_", so the prefix match is exact apart from ASCII case.
    query = select(Article.slug).where(or_(Article.slug == base, Article.slug.like(f"{base}-%")))
    if exclude_id is not None:
        query = query.where(Article.id != exclude_id)
    taken = set(db.session.scalars(query)) | RESERVED_SLUGS
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _tags_named(names: Sequence[str]) -> list[Tag]:
    """The Tag rows for `names`, creating the missing ones (flushed with the article)."""
    if not names:
        return []
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    return [existing.get(name) or Tag(name=name) for name in names]


def _commit_with_retry(attempt: Callable[[], T]) -> T:
    """Run `attempt` and commit; on a unique-constraint race (slug, tag), roll back and rerun."""
    for remaining in reversed(range(WRITE_ATTEMPTS)):
        result = attempt()
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if not remaining:
                raise
        else:
            return result
    raise AssertionError("unreachable")


def _article_query(viewer: User | None) -> Select[tuple[Article]]:
    """Articles with author, tags, favorited, favoritesCount and following in constant queries."""
    favorites_count = (
        select(func.count())
        .where(Favorite.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    if viewer is None:
        favorited: ColumnElement[bool] = false()
    else:
        favorited = exists().where(Favorite.article_id == Article.id, Favorite.user_id == viewer.id)
    return (
        select(Article)
        .join(Article.author)
        .options(
            contains_eager(Article.author).with_expression(User.following, _following(viewer)),
            selectinload(Article.tags),
            with_expression(Article.favorites_count, favorites_count),
            with_expression(Article.favorited, favorited),
        )
        .execution_options(populate_existing=True)
    )


def _article_with_viewer(*, viewer: User | None, article_id: int) -> Article:
    article = db.session.scalar(_article_query(viewer).where(Article.id == article_id))
    if article is None:  # deleted between the write and this read
        raise NotFoundError("article")
    return article


def _paginate(
    query: Select[tuple[Article]], filters: Sequence[ColumnElement[bool]], limit: int, offset: int
) -> tuple[list[Article], int]:
    """One page, newest first, and the total number of matching articles (a COUNT)."""
    total = db.session.scalar(select(func.count()).select_from(Article).where(*filters)) or 0
    page = (
        query.where(*filters)
        .options(defer(Article.body, raiseload=True))  # list items carry no body
        .order_by(Article.created_at.desc(), Article.id.desc())
    )
    articles = list(db.session.scalars(page.limit(limit).offset(offset)))
    return articles, total


def list_articles(
    *,
    viewer: User | None,
    tag: str | None,
    author: str | None,
    favorited: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """Articles matching every given filter (exact match); unknown values match nothing."""
    filters: list[ColumnElement[bool]] = []
    if tag is not None:
        filters.append(
            Article.id.in_(
                select(article_tags.c.article_id).join(Tag).where(_equals(Tag.name, tag))
            )
        )
    if author is not None:
        filters.append(Article.author_id.in_(select(User.id).where(_equals(User.username, author))))
    if favorited is not None:
        filters.append(
            Article.id.in_(
                select(Favorite.article_id).join(User).where(_equals(User.username, favorited))
            )
        )
    return _paginate(_article_query(viewer), filters, limit, offset)


def feed_articles(*, user: User, limit: int, offset: int) -> tuple[list[Article], int]:
    """Articles by the authors `user` follows, newest first."""
    followed = select(Follow.followed_id).where(Follow.follower_id == user.id)
    return _paginate(_article_query(user), [Article.author_id.in_(followed)], limit, offset)


def get_article(*, viewer: User | None, slug: str) -> Article:
    """The article with this slug, with the viewer's flags."""
    article = db.session.scalar(_article_query(viewer).where(_equals(Article.slug, slug)))
    if article is None:
        raise NotFoundError("article")
    return article


def _article_to_change(*, user: User, slug: str) -> Article:
    """The article `user` may change: 404 if unknown, then 403 unless they wrote it."""
    article = db.session.scalar(
        select(Article).where(_equals(Article.slug, slug)).options(selectinload(Article.tags))
    )
    if article is None:
        raise NotFoundError("article")
    if article.author_id != user.id:
        raise ForbiddenError("article")
    return article


def create_article(
    *, author: User, title: str, description: str, body: str, tag_list: Sequence[str]
) -> Article:
    """Publish an article under a unique slug derived from its title."""

    def attempt() -> Article:
        now = utcnow()
        article = Article(
            slug=_unique_slug(title, exclude_id=None),
            title=title,
            description=description,
            body=body,
            author_id=author.id,
            created_at=now,
            updated_at=now,
            tags=_tags_named(tag_list),
        )
        db.session.add(article)
        return article

    article = _commit_with_retry(attempt)
    return _article_with_viewer(viewer=author, article_id=article.id)


def update_article(*, user: User, slug: str, changes: Mapping[str, Any]) -> Article:
    """Change the given fields (author only); a new title base gives a new slug."""

    def attempt() -> Article:
        article = _article_to_change(user=user, slug=slug)
        if "title" in changes:
            if slugify(changes["title"]) != slugify(article.title):
                article.slug = _unique_slug(changes["title"], exclude_id=article.id)
            article.title = changes["title"]
        if "description" in changes:
            article.description = changes["description"]
        if "body" in changes:
            article.body = changes["body"]
        if "tag_list" in changes:
            article.tags = _tags_named(changes["tag_list"])
        article.updated_at = utcnow()
        return article

    article = _commit_with_retry(attempt)
    return _article_with_viewer(viewer=user, article_id=article.id)


def delete_article(*, user: User, slug: str) -> None:
    """Delete an article (author only) with its comments, favorites and tag links."""
    article = _article_to_change(user=user, slug=slug)
    db.session.delete(article)
    db.session.commit()


def _article_id(slug: str) -> int:
    article_id = db.session.scalar(select(Article.id).where(_equals(Article.slug, slug)))
    if article_id is None:
        raise NotFoundError("article")
    return article_id


def favorite_article(*, user: User, slug: str) -> Article:
    """Mark the article as a favorite of `user` (idempotent)."""
    article_id = _article_id(slug)
    if db.session.get(Favorite, (user.id, article_id)) is None:
        db.session.add(Favorite(user_id=user.id, article_id=article_id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent request made the same pair: same end state
    return _article_with_viewer(viewer=user, article_id=article_id)


def unfavorite_article(*, user: User, slug: str) -> Article:
    """Remove the article from the favorites of `user` (idempotent)."""
    article_id = _article_id(slug)
    db.session.execute(
        delete(Favorite).where(Favorite.user_id == user.id, Favorite.article_id == article_id)
    )
    db.session.commit()
    return _article_with_viewer(viewer=user, article_id=article_id)


# --- comments --------------------------------------------------------------------------------


def _comment_query(viewer: User | None) -> Select[tuple[Comment]]:
    return (
        select(Comment)
        .join(Comment.author)
        .options(contains_eager(Comment.author).with_expression(User.following, _following(viewer)))
        .execution_options(populate_existing=True)
    )


def list_comments(*, viewer: User | None, slug: str) -> list[Comment]:
    """The article's comments, oldest first."""
    article_id = _article_id(slug)
    query = (
        _comment_query(viewer)
        .where(Comment.article_id == article_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return list(db.session.scalars(query))


def add_comment(*, author: User, slug: str, body: str) -> Comment:
    """Comment on the article as `author`."""
    article_id = _article_id(slug)
    now = utcnow()
    comment = Comment(
        body=body, article_id=article_id, author_id=author.id, created_at=now, updated_at=now
    )
    db.session.add(comment)
    db.session.commit()
    return db.session.scalars(_comment_query(author).where(Comment.id == comment.id)).one()


def delete_comment(*, user: User, slug: str, comment_id: int | None) -> None:
    """Delete a comment (its author only); None is an id that can never exist."""
    article_id = _article_id(slug)
    comment = None
    if comment_id is not None:
        comment = db.session.scalar(
            select(Comment).where(Comment.id == comment_id, Comment.article_id == article_id)
        )
    if comment is None:
        raise NotFoundError("comment")
    if comment.author_id != user.id:
        raise ForbiddenError("comment")
    db.session.delete(comment)
    db.session.commit()


# --- tags ------------------------------------------------------------------------------------


def list_tags() -> list[str]:
    """Tags on at least one article, most used first, then by name in code-point order.

    The sort runs in Python: PostgreSQL would order names by the database's collation (often
    a locale's), which is not the code-point order SQLite and the other two apps use.
    """
    uses = func.count().label("uses")
    query = (
        select(Tag.name, uses)
        .join(article_tags, article_tags.c.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name)
    )
    rows = db.session.execute(query).all()
    return [row.name for row in sorted(rows, key=lambda row: (-row.uses, row.name))]


# --- health ----------------------------------------------------------------------------------


def check_database() -> None:
    """Raise UnavailableError unless the database answers `SELECT 1`."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        raise UnavailableError() from None
