"""Domain operations, async: every read and write the routers need, and the author-only rule.

Each function takes the request's session as `session=` and raises the errors.py exceptions.
Objects handed back carry the viewer-relative values (`User.following`, `Article.favorited`,
`Article.favorites_count`) computed in the same query that loads them, so a list costs the
same number of queries for 1 or 100 rows. After a rollback every loaded object is expired
(and reloading one would need IO), so the writes keep the ids they need in local variables.
"""

import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, contains_eager, defer, selectinload, with_expression

from fastapi_app.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableError,
)
from fastapi_app.models import (
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
from fastapi_app.security import hash_password, verify_dummy_password, verify_password

T = TypeVar("T")

MAX_SQL_INTEGER = 2_147_483_647
# /articles/feed is a route, so no article may have the slug "feed".
RESERVED_SLUGS = frozenset({"feed"})
# A slug or tag taken by a concurrent request between our check and our commit: try again. One
# of the racing requests wins each round, so this covers that many simultaneous writers (on
# SQLite writes are serialized anyway, see db.py; this matters on PostgreSQL).
_WRITE_ATTEMPTS = 20


def _equals(column: SQLColumnExpression[str], value: str) -> ColumnElement[bool]:
    """`column == value` for a value taken from a path or query string. A value no row can
    hold (a NUL character, a lone surrogate) becomes FALSE and is never sent: PostgreSQL
    would answer a NUL parameter with an error instead of "no rows"."""
    return column == value if is_storable_text(value) else false()


# --- users --------------------------------------------------------------------------------


async def register_user(*, session: AsyncSession, username: str, email: str, password: str) -> User:
    """Create an account; 409 if the username or email is taken."""
    # Hash first: the slow part should not run inside the (write) transaction.
    password_hash = await hash_password(password)
    await _ensure_available(session, username=username, email=email)
    user = User(username=username, email=email, password_hash=password_hash)
    session.add(user)
    await _commit_user(session, username=username, email=email, user_id=None)
    return user


async def authenticate(*, session: AsyncSession, email: str, password: str) -> User:
    """The user with these credentials; the same 401 whether the email or the password is wrong."""
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        await verify_dummy_password(password)
    elif await verify_password(user.password_hash, password):
        return user
    raise UnauthorizedError("credentials", "invalid")


async def update_user(*, session: AsyncSession, user: User, changes: Mapping[str, Any]) -> User:
    """Apply the fields sent; re-sending your own username or email is not a conflict."""
    user_id = user.id
    password = changes.get("password")
    password_hash = await hash_password(password) if password is not None else None
    await _ensure_available(
        session, username=changes.get("username"), email=changes.get("email"), user_id=user_id
    )
    for field in ("username", "email", "bio", "image"):
        if field in changes:
            setattr(user, field, changes[field])
    if password_hash is not None:
        user.password_hash = password_hash
    await _commit_user(
        session, username=changes.get("username"), email=changes.get("email"), user_id=user_id
    )
    return user


async def _taken_fields(
    session: AsyncSession, *, username: str | None, email: str | None, user_id: int | None
) -> list[str]:
    """Which of username/email another user already has."""
    conditions = []
    if username is not None:
        conditions.append(User.username == username)
    if email is not None:
        conditions.append(User.email == email)
    if not conditions:
        return []
    query = select(User.username, User.email).where(or_(*conditions))
    if user_id is not None:
        query = query.where(User.id != user_id)
    rows = (await session.execute(query)).all()
    taken = []
    if any(row.username == username for row in rows):
        taken.append("username")
    if any(row.email == email for row in rows):
        taken.append("email")
    return taken


async def _ensure_available(
    session: AsyncSession, *, username: str | None, email: str | None, user_id: int | None = None
) -> None:
    if taken := await _taken_fields(session, username=username, email=email, user_id=user_id):
        raise ConflictError(taken)


async def _commit_user(
    session: AsyncSession, *, username: str | None, email: str | None, user_id: int | None
) -> None:
    """Commit; a unique-constraint race lost since `_ensure_available` is still a 409."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        taken = await _taken_fields(session, username=username, email=email, user_id=user_id)
        raise ConflictError(taken or ["username"]) from None


# --- profiles -----------------------------------------------------------------------------


def _following(viewer_id: int | None) -> ColumnElement[bool]:
    """Whether the viewer follows `User` (correlated to the query's users row)."""
    if viewer_id is None:
        return false()
    return exists().where(Follow.follower_id == viewer_id, Follow.followed_id == User.id)


async def get_profile(*, session: AsyncSession, viewer: User | None, username: str) -> User:
    """The user named `username`, with `following` relative to the viewer."""
    return await _load_profile(session, viewer_id=viewer.id if viewer else None, username=username)


async def follow_user(*, session: AsyncSession, user: User, username: str) -> User:
    """Follow `username` (idempotent); following yourself is a 422."""
    user_id = user.id
    followed_id = await _user_id(session, username)
    if followed_id == user_id:
        raise UnprocessableError("profile", "cannot follow yourself")
    if await session.get(Follow, (user_id, followed_id)) is None:
        session.add(Follow(follower_id=user_id, followed_id=followed_id))
        await _commit_ignoring_duplicate(session)
    return await _load_profile(session, viewer_id=user_id, username=username)


async def unfollow_user(*, session: AsyncSession, user: User, username: str) -> User:
    """Stop following `username` (idempotent; unfollowing yourself is a no-op)."""
    user_id = user.id
    followed_id = await _user_id(session, username)
    await session.execute(
        delete(Follow).where(Follow.follower_id == user_id, Follow.followed_id == followed_id)
    )
    await session.commit()
    return await _load_profile(session, viewer_id=user_id, username=username)


async def _user_id(session: AsyncSession, username: str) -> int:
    user_id = await session.scalar(select(User.id).where(_equals(User.username, username)))
    if user_id is None:
        raise NotFoundError("profile")
    return user_id


async def _load_profile(session: AsyncSession, *, viewer_id: int | None, username: str) -> User:
    query = (
        select(User)
        .where(_equals(User.username, username))
        .options(with_expression(User.following, _following(viewer_id)))
        # The user may already sit in the session (e.g. the viewer); reload its flags anyway.
        .execution_options(populate_existing=True)
    )
    profile = await session.scalar(query)
    if profile is None:
        raise NotFoundError("profile")
    return profile


async def _commit_ignoring_duplicate(session: AsyncSession) -> None:
    """Commit a follow/favorite insert; a concurrent identical insert already did the job."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()


# --- articles -----------------------------------------------------------------------------


def slugify(title: str) -> str:
    """URL slug of a title; identical in the three apps ("Crème Brûlée!" -> "creme-brulee")."""
    decomposed = unicodedata.normalize("NFKD", title)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    slug = re.sub(r"[\W_]+", "-", without_marks.lower()).strip("-")
    return slug[:100].strip("-") or "article"


def _article_query(viewer_id: int | None) -> Select[tuple[Article]]:
    """Articles with author, tags and the viewer's flags: two queries however many rows."""
    favorites_count = (
        select(func.count()).where(Favorite.article_id == Article.id).scalar_subquery()
    )
    favorited = (
        exists().where(Favorite.article_id == Article.id, Favorite.user_id == viewer_id)
        if viewer_id is not None
        else false()
    )
    return (
        select(Article)
        .join(Article.author)
        .options(
            contains_eager(Article.author).with_expression(User.following, _following(viewer_id)),
            selectinload(Article.tags),
            with_expression(Article.favorited, favorited),
            with_expression(Article.favorites_count, favorites_count),
        )
        .execution_options(populate_existing=True)
    )


async def _load_article(session: AsyncSession, *, viewer_id: int | None, slug: str) -> Article:
    article = await session.scalar(_article_query(viewer_id).where(_equals(Article.slug, slug)))
    if article is None:
        raise NotFoundError("article")
    return article


async def _list_page(
    session: AsyncSession,
    *,
    viewer_id: int | None,
    filters: Sequence[ColumnElement[bool]],
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """One page, newest first, and the total number of matching articles."""
    count_query = select(func.count(Article.id)).join(Article.author).where(*filters)
    total = await session.scalar(count_query) or 0
    page_query = (
        _article_query(viewer_id)
        .where(*filters)
        .options(defer(Article.body, raiseload=True))  # lists have no body
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    )
    articles = list(await session.scalars(page_query))
    return articles, total


async def list_articles(
    *,
    session: AsyncSession,
    viewer: User | None,
    tag: str | None,
    author: str | None,
    favorited: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """GetArticles: filters are exact and AND-combined; unknown values simply match nothing,
    and an empty value is no filter."""
    filters: list[ColumnElement[bool]] = []
    if tag:
        filters.append(Article.tags.any(_equals(Tag.name, tag)))
    if author:
        filters.append(_equals(User.username, author))  # `User` is the joined author
    if favorited:
        fan = aliased(User)
        favorited_ids = select(Favorite.article_id).join(fan, fan.id == Favorite.user_id)
        filters.append(Article.id.in_(favorited_ids.where(_equals(fan.username, favorited))))
    return await _list_page(
        session,
        viewer_id=viewer.id if viewer else None,
        filters=filters,
        limit=limit,
        offset=offset,
    )


async def feed_articles(
    *, session: AsyncSession, user: User, limit: int, offset: int
) -> tuple[list[Article], int]:
    """GetArticlesFeed: articles by the authors `user` follows, newest first."""
    followed_ids = select(Follow.followed_id).where(Follow.follower_id == user.id)
    return await _list_page(
        session,
        viewer_id=user.id,
        filters=[Article.author_id.in_(followed_ids)],
        limit=limit,
        offset=offset,
    )


async def get_article(*, session: AsyncSession, viewer: User | None, slug: str) -> Article:
    """One article, with the viewer's favorited/following flags."""
    return await _load_article(session, viewer_id=viewer.id if viewer else None, slug=slug)


async def create_article(
    *,
    session: AsyncSession,
    author: User,
    title: str,
    description: str,
    body: str,
    tag_list: Sequence[str],
) -> Article:
    """Publish an article under a fresh unique slug derived from its title."""
    author_id = author.id

    async def insert() -> str:
        article = Article(
            slug=await _unique_slug(session, title),
            title=title,
            description=description,
            body=body,
            author_id=author_id,
            tags=await _tags_named(session, tag_list),
        )
        session.add(article)
        await session.commit()
        return article.slug

    slug = await _retry_on_conflict(session, insert)
    return await _load_article(session, viewer_id=author_id, slug=slug)


async def update_article(
    *, session: AsyncSession, user: User, slug: str, changes: Mapping[str, Any]
) -> Article:
    """Change the fields sent (author only); a title with a new slug base moves the slug."""
    user_id = user.id

    async def apply() -> str:
        article = await _article_for_author(session, user_id=user_id, slug=slug)
        if "title" in changes:
            if slugify(changes["title"]) != slugify(article.title):
                article.slug = await _unique_slug(session, changes["title"], article_id=article.id)
            article.title = changes["title"]
        if "description" in changes:
            article.description = changes["description"]
        if "body" in changes:
            article.body = changes["body"]
        if "tag_list" in changes:
            article.tags = await _tags_named(session, changes["tag_list"])
        article.updated_at = utcnow()
        await session.commit()
        return article.slug

    new_slug = await _retry_on_conflict(session, apply)
    return await _load_article(session, viewer_id=user_id, slug=new_slug)


async def delete_article(*, session: AsyncSession, user: User, slug: str) -> None:
    """Delete an article (author only) with its comments, favorites and tag links."""
    article = await _article_for_author(session, user_id=user.id, slug=slug)
    await session.delete(article)
    await session.commit()


async def favorite_article(*, session: AsyncSession, user: User, slug: str) -> Article:
    """Favorite an article (idempotent)."""
    user_id = user.id
    article_id = await _article_id(session, slug)
    if await session.get(Favorite, (user_id, article_id)) is None:
        session.add(Favorite(user_id=user_id, article_id=article_id))
        await _commit_ignoring_duplicate(session)
    return await _load_article(session, viewer_id=user_id, slug=slug)


async def unfavorite_article(*, session: AsyncSession, user: User, slug: str) -> Article:
    """Remove a favorite (idempotent)."""
    user_id = user.id
    article_id = await _article_id(session, slug)
    await session.execute(
        delete(Favorite).where(Favorite.user_id == user_id, Favorite.article_id == article_id)
    )
    await session.commit()
    return await _load_article(session, viewer_id=user_id, slug=slug)


async def _article_id(session: AsyncSession, slug: str) -> int:
    article_id = await session.scalar(select(Article.id).where(_equals(Article.slug, slug)))
    if article_id is None:
        raise NotFoundError("article")
    return article_id


async def _article_for_author(session: AsyncSession, *, user_id: int, slug: str) -> Article:
    """The author-only rule: 404 if there is no such article, 403 if it is someone else's."""
    query = select(Article).where(_equals(Article.slug, slug)).options(selectinload(Article.tags))
    article = await session.scalar(query)
    if article is None:
        raise NotFoundError("article")
    if article.author_id != user_id:
        raise ForbiddenError("article")
    return article


async def _unique_slug(session: AsyncSession, title: str, *, article_id: int | None = None) -> str:
    """slugify(title) if free, else the first free of base-2, base-3, ... (an article never
    collides with itself; "feed" is always taken)."""
    base = slugify(title)
    query = select(Article.slug).where(
        or_(Article.slug == base, Article.slug.startswith(f"{base}-", autoescape=True))
    )
    if article_id is not None:
        query = query.where(Article.id != article_id)
    taken = RESERVED_SLUGS | set(await session.scalars(query))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


async def _tags_named(session: AsyncSession, names: Iterable[str]) -> list[Tag]:
    """Tag rows for these names, creating the missing ones (flushed with the article)."""
    wanted = set(names)
    if not wanted:
        return []
    existing = list(await session.scalars(select(Tag).where(Tag.name.in_(wanted))))
    known = {tag.name for tag in existing}
    return existing + [Tag(name=name) for name in sorted(wanted - known)]


async def _retry_on_conflict(session: AsyncSession, write: Callable[[], Awaitable[T]]) -> T:
    """Run a write that ends in a commit again when a concurrent request took the same slug or
    created the same tag in the meantime (the unique constraints are the final judges)."""
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        try:
            return await write()
        except IntegrityError:
            await session.rollback()
            if attempt == _WRITE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


# --- comments -----------------------------------------------------------------------------


def _comment_query(viewer_id: int | None) -> Select[tuple[Comment]]:
    return (
        select(Comment)
        .join(Comment.author)
        .options(
            contains_eager(Comment.author).with_expression(User.following, _following(viewer_id))
        )
        .execution_options(populate_existing=True)
    )


async def list_comments(*, session: AsyncSession, viewer: User | None, slug: str) -> list[Comment]:
    """The article's comments, oldest first, each author with the viewer's following flag."""
    viewer_id = viewer.id if viewer else None
    article_id = await _article_id(session, slug)
    query = (
        _comment_query(viewer_id)
        .where(Comment.article_id == article_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return list(await session.scalars(query))


async def add_comment(*, session: AsyncSession, author: User, slug: str, body: str) -> Comment:
    """Comment on an article."""
    author_id = author.id
    comment = Comment(body=body, article_id=await _article_id(session, slug), author_id=author_id)
    session.add(comment)
    await session.commit()
    return (await session.scalars(_comment_query(author_id).where(Comment.id == comment.id))).one()


async def delete_comment(*, session: AsyncSession, user: User, slug: str, comment_id: str) -> None:
    """Delete a comment (its author only). The article is checked first; an id that is not a
    decimal integer, or a comment of another article, is "comment not found"."""
    article_id = await _article_id(session, slug)
    comment = None
    if re.fullmatch(r"[0-9]{1,10}", comment_id) and int(comment_id) <= MAX_SQL_INTEGER:
        comment = await session.get(Comment, int(comment_id))
    if comment is None or comment.article_id != article_id:
        raise NotFoundError("comment")
    if comment.author_id != user.id:
        raise ForbiddenError("comment")
    await session.delete(comment)
    await session.commit()


# --- tags and health ----------------------------------------------------------------------


async def list_tags(*, session: AsyncSession) -> list[str]:
    """Tags in use, most used first, then by name in code-point order.

    Sorted here rather than in SQL: PostgreSQL orders text by the database's collation (where
    "B" < "a" may not hold), SQLite by bytes; Python gives the same order on every database."""
    query = (
        select(Tag.name, func.count().label("uses"))
        .join(article_tags, article_tags.c.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name)
    )
    rows = (await session.execute(query)).all()
    return [row.name for row in sorted(rows, key=lambda row: (-row.uses, row.name))]


async def ping_database(*, session: AsyncSession) -> None:
    """`SELECT 1`, or 503 if the database cannot answer."""
    try:
        await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseUnavailableError from exc
