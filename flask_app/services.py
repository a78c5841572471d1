"""Domain operations: the only module that queries or changes the database for a request.

Every function is keyword-only and named as in the other two apps (the FastAPI twin has the
same functions and helpers, in this order). Reads load everything a response needs in a fixed
number of queries (the author by join, tags by one more query, and the viewer's `favorited` /
`following` flags and `favoritesCount` as columns of the same SELECT). Writes check existence
(404) before ownership (403); the author-only rule lives here. Usernames, slugs and filters
from the URL are compared through `_equals`, so text no row can hold (a NUL character, which
PostgreSQL refuses outright) is never sent to the database. After a rollback every loaded
object is expired, so writes keep the ids they need in local variables.
"""

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import QueryableAttribute, contains_eager, defer, selectinload, with_expression
from sqlalchemy.orm.attributes import set_committed_value

from flask_app.auth import hash_password, password_change_digest, verify_password
from flask_app.errors import (
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    InvalidCredentialsError,
    NotFoundError,
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
    canonical_email,
    canonical_username,
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


def _equals(column: QueryableAttribute[str], value: str) -> ColumnElement[bool]:
    """`column = value`, or a plain false when no row can hold `value` (it matches nothing)."""
    return column == value if is_storable_text(value) else false()


def _named(username: str) -> ColumnElement[bool]:
    """SQL for "this User row is `username`", in whichever spelling it is given (its key)."""
    return _equals(User.username_key, canonical_username(username))


# The viewer of a read: a bound parameter of every statement with per-viewer columns, so those
# statements are built once (see ARTICLE_BY_ID). Anonymous requests bind None, which equals no
# id: their flags come out false from the same SQL.
VIEWER_ID = bindparam("viewer_id", type_=Integer)


# --- users -----------------------------------------------------------------------------------


def _taken_fields(
    *,
    username: str | None,
    email: str | None,
    user_id: int | None,
) -> list[str]:
    """Which of `username` / `email` another account already uses, in any spelling that has the
    same key ("username" first)."""
    username_key = canonical_username(username) if username is not None else None
    email_key = canonical_email(email) if email is not None else None
    conditions = []
    if username_key is not None:
        conditions.append(User.username_key == username_key)
    if email_key is not None:
        conditions.append(User.email_key == email_key)
    if not conditions:
        return []
    query = select(User.username_key, User.email_key).where(or_(*conditions))
    if user_id is not None:
        query = query.where(User.id != user_id)
    result = db.session.execute(query)
    rows = result.all()
    taken = []
    if username_key is not None and any(row.username_key == username_key for row in rows):
        taken.append("username")
    if email_key is not None and any(row.email_key == email_key for row in rows):
        taken.append("email")
    return taken


def _commit_user(
    *,
    username: str | None,
    email: str | None,
    user_id: int | None,
) -> None:
    """Commit an account change; losing a race on a unique column is still a 409."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        taken = _taken_fields(username=username, email=email, user_id=user_id)
        if not taken:
            raise
        raise ConflictError(taken) from None


def register_user(*, username: str, email: str, password: str) -> User:
    """Create an account; 409 if the username or email is taken."""
    password_hash = hash_password(password)  # before any query: no transaction waits on it
    taken = _taken_fields(username=username, email=email, user_id=None)
    if taken:
        raise ConflictError(taken)
    user = User(username=username, email=email, password_hash=password_hash)
    db.session.add(user)
    _commit_user(username=username, email=email, user_id=None)
    return user


def authenticate(*, email: str, password: str) -> User:
    """The account with these credentials (the email in any case); one 401 for an unknown email
    or a wrong password."""
    user = db.session.scalar(select(User).where(User.email_key == canonical_email(email)))
    # The check runs (on a stand-in hash) even for an unknown email, so timing does not tell.
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidCredentialsError()
    return user


def update_user(*, user: User, changes: Mapping[str, Any], token: str | None = None) -> User:
    """Apply the given fields; keeping your own username or email is not a conflict. A new
    password ends every token issued before it but `token`, the one that sent it (None, from
    the admin or the seed: all of them)."""
    user_id = user.id
    username, email = changes.get("username"), changes.get("email")
    password = changes.get("password")
    password_hash = hash_password(password) if password is not None else None
    taken = _taken_fields(username=username, email=email, user_id=user_id)
    if taken:
        raise ConflictError(taken)
    for field in ("username", "email", "bio", "image"):
        if field in changes:
            setattr(user, field, changes[field])
    if password_hash is not None:
        user.password_hash = password_hash
        user.password_change_token_digest = (
            password_change_digest(token, password_hash) if token is not None else None
        )
    _commit_user(username=username, email=email, user_id=user_id)
    return user


# --- profiles --------------------------------------------------------------------------------


def _following() -> ColumnElement[bool]:
    """SQL for "the viewer (VIEWER_ID) follows this User row"."""
    return exists().where(Follow.follower_id == VIEWER_ID, Follow.followed_id == User.id)


def _user_id(username: str) -> int:
    user_id = db.session.scalar(select(User.id).where(_named(username)))
    if user_id is None:
        raise NotFoundError("profile")
    return user_id


def _load_profile(*, viewer_id: int | None, username: str) -> User:
    query = (
        select(User)
        .where(_named(username))
        .options(with_expression(User.following, _following()))
        # The user may already sit in the session (the viewer): reload its flag anyway.
        .execution_options(populate_existing=True)
    )
    profile = db.session.scalar(query, {"viewer_id": viewer_id})
    if profile is None:
        raise NotFoundError("profile")
    return profile


def _commit_ignoring_duplicate() -> None:
    """Commit a follow or favorite; a concurrent identical insert already did the job."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def get_profile(*, viewer: User | None, username: str) -> User:
    """The user named `username` (in any spelling of it), with `following` relative to the
    viewer."""
    return _load_profile(viewer_id=viewer.id if viewer else None, username=username)


def follow_user(*, user: User, username: str) -> User:
    """Follow `username` (idempotent); following yourself is a 422."""
    user_id = user.id
    followed_id = _user_id(username)
    if followed_id == user_id:
        raise UnprocessableError("profile", "cannot follow yourself")
    if db.session.get(Follow, (user_id, followed_id)) is None:
        db.session.add(Follow(follower_id=user_id, followed_id=followed_id))
        _commit_ignoring_duplicate()
    return _load_profile(viewer_id=user_id, username=username)


def unfollow_user(*, user: User, username: str) -> User:
    """Stop following `username` (idempotent; unfollowing yourself is a no-op)."""
    user_id = user.id
    followed_id = _user_id(username)
    db.session.execute(
        delete(Follow).where(Follow.follower_id == user_id, Follow.followed_id == followed_id)
    )
    db.session.commit()
    return _load_profile(viewer_id=user_id, username=username)


# --- articles --------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """The URL slug for a title, identical in the three apps ("Crème Brûlée!" -> "creme-brulee")."""
    decomposed = unicodedata.normalize("NFKD", title)
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    slug = re.sub(r"[\W_]+", "-", without_marks.lower()).strip("-")
    return slug[:SLUG_MAX_LENGTH].strip("-") or "article"


def _unique_slug(title: str, *, article_id: int | None) -> str:
    """The title's slug if free, else the first free `slug-2`, `slug-3`, ... (an article never
    collides with itself; "feed" is always taken)."""
    base = slugify(title)
    query = select(Article.slug).where(
        or_(Article.slug == base, Article.slug.startswith(f"{base}-", autoescape=True))
    )
    if article_id is not None:
        query = query.where(Article.id != article_id)
    taken = set(db.session.scalars(query)) | RESERVED_SLUGS
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _tags_named(names: Sequence[str]) -> list[Tag]:
    """The Tag rows for `names` (distinct, as schemas leave them), creating the missing ones."""
    if not names:
        return []
    query = select(Tag).where(Tag.name.in_(names))
    existing = {tag.name: tag for tag in db.session.scalars(query)}
    return [existing.get(name) or Tag(name=name) for name in names]


def _commit_with_retry(attempt: Callable[[], T]) -> T:
    """Run `attempt` and commit; when a concurrent request took the same slug or created the
    same tag (an IntegrityError from a flush or the commit), roll back and run it again."""
    for remaining in reversed(range(WRITE_ATTEMPTS)):
        try:
            result = attempt()
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if not remaining:
                raise
        else:
            return result
    raise AssertionError("unreachable")


def _article_query() -> Select[tuple[Article]]:
    """Articles with author, favorited, favoritesCount and following (tags: _load_tags)."""
    favorites_count = (
        select(func.count())
        .where(Favorite.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
    )
    favorited = exists().where(Favorite.article_id == Article.id, Favorite.user_id == VIEWER_ID)
    return (
        select(Article)
        .join(Article.author)
        .options(
            contains_eager(Article.author).with_expression(User.following, _following()),
            with_expression(Article.favorited, favorited),
            with_expression(Article.favorites_count, favorites_count),
        )
        .execution_options(populate_existing=True)
    )


def _newest_first(query: Select[tuple[Article]]) -> Select[tuple[Article]]:
    """A page of `query` (parameters `limit`, `offset`), newest first, without bodies."""
    return (
        query.options(defer(Article.body, raiseload=True))  # list items carry no body
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


# The reads every page view makes, built once at import with bound parameters for what varies.
# SQLAlchemy looks compiled SQL up by a cache key computed from the statement's whole structure
# (ORM options included), once per statement object: a statement rebuilt per request pays that
# walk every time, which was the largest cost of a request; a prebuilt one only binds values.
FOLLOWED_AUTHORS = Article.author_id.in_(
    select(Follow.followed_id).where(Follow.follower_id == VIEWER_ID)
)
ARTICLE_BY_ID = _article_query().where(Article.id == bindparam("article_id"))
ARTICLE_BY_SLUG = _article_query().where(Article.slug == bindparam("slug"))
ARTICLES_COUNT = select(func.count()).select_from(Article)
ARTICLES_PAGE = _newest_first(_article_query())
FEED_COUNT = ARTICLES_COUNT.where(FOLLOWED_AUTHORS)
FEED_PAGE = _newest_first(_article_query().where(FOLLOWED_AUTHORS))
TAGS_OF_ARTICLES = (
    select(article_tags.c.article_id, Tag)
    .join(Tag, Tag.id == article_tags.c.tag_id)
    .where(article_tags.c.article_id.in_(bindparam("article_ids", expanding=True)))
)


def _load_tags(articles: Sequence[Article]) -> None:
    """Fill in the `tags` of `articles` with one query for all of them (none for no articles).

    What selectinload(Article.tags) does, from a prebuilt statement: the loader builds its
    query per request, carrying the page's options, and that was half of a request's time.
    """
    if not articles:
        return
    tags: dict[int, list[Tag]] = {article.id: [] for article in articles}
    for article_id, tag in db.session.execute(TAGS_OF_ARTICLES, {"article_ids": list(tags)}):
        tags[article_id].append(tag)
    for article in articles:
        set_committed_value(article, "tags", tags[article.id])


def _load_article(
    *,
    viewer_id: int | None,
    article_id: int,
) -> Article:
    parameters = {"viewer_id": viewer_id, "article_id": article_id}
    article = db.session.scalar(ARTICLE_BY_ID, parameters)
    if article is None:  # deleted between the write and this read
        raise NotFoundError("article")
    _load_tags([article])
    return article


def _paginate(
    *,
    count: Select[tuple[int]],
    page: Select[tuple[Article]],
    viewer_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """One page of `page` and the total number of matching articles (`count`)."""
    parameters = {"viewer_id": viewer_id, "limit": limit, "offset": offset}
    total = db.session.scalar(count, parameters) or 0
    articles = list(db.session.scalars(page, parameters))
    _load_tags(articles)
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
        tagged = select(article_tags.c.article_id).join(Tag).where(_equals(Tag.name, tag))
        filters.append(Article.id.in_(tagged))
    if author is not None:
        written = select(User.id).where(_named(author))
        filters.append(Article.author_id.in_(written))
    if favorited is not None:
        fans = select(Favorite.article_id).join(User).where(_named(favorited))
        filters.append(Article.id.in_(fans))
    count, page = ARTICLES_COUNT, ARTICLES_PAGE
    if filters:  # built per request: the filters given decide the statement's shape
        count, page = count.where(*filters), page.where(*filters)
    viewer_id = viewer.id if viewer else None
    return _paginate(
        count=count,
        page=page,
        viewer_id=viewer_id,
        limit=limit,
        offset=offset,
    )


def feed_articles(
    *,
    user: User,
    limit: int,
    offset: int,
) -> tuple[list[Article], int]:
    """Articles by the authors `user` follows, newest first."""
    return _paginate(
        count=FEED_COUNT,
        page=FEED_PAGE,
        viewer_id=user.id,
        limit=limit,
        offset=offset,
    )


def get_article(*, viewer: User | None, slug: str) -> Article:
    """The article with this slug, with the viewer's flags."""
    if not is_storable_text(slug):  # no row holds it (see _equals)
        raise NotFoundError("article")
    viewer_id = viewer.id if viewer else None
    article = db.session.scalar(ARTICLE_BY_SLUG, {"viewer_id": viewer_id, "slug": slug})
    if article is None:
        raise NotFoundError("article")
    _load_tags([article])
    return article


def _article_for_author(*, user_id: int, slug: str) -> Article:
    """The author-only rule: 404 if there is no such article, 403 if it is someone else's."""
    query = select(Article).where(_equals(Article.slug, slug)).options(selectinload(Article.tags))
    article = db.session.scalar(query)
    if article is None:
        raise NotFoundError("article")
    if article.author_id != user_id:
        raise ForbiddenError("article")
    return article


def create_article(
    *,
    author: User,
    title: str,
    description: str,
    body: str,
    tag_list: Sequence[str],
) -> Article:
    """Publish an article under a unique slug derived from its title."""
    author_id = author.id

    def attempt() -> Article:
        article = Article(
            slug=_unique_slug(title, article_id=None),
            title=title,
            description=description,
            body=body,
            author_id=author_id,
            tags=_tags_named(tag_list),
        )
        db.session.add(article)
        return article

    article = _commit_with_retry(attempt)
    return _load_article(viewer_id=author_id, article_id=article.id)


def update_article(
    *,
    user: User,
    slug: str,
    changes: Mapping[str, Any],
) -> Article:
    """Change the given fields (author only); a new title base gives a new slug."""
    user_id = user.id

    def attempt() -> Article:
        article = _article_for_author(user_id=user_id, slug=slug)
        if "title" in changes:
            if slugify(changes["title"]) != slugify(article.title):
                article.slug = _unique_slug(changes["title"], article_id=article.id)
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
    return _load_article(viewer_id=user_id, article_id=article.id)


def delete_article(*, user: User, slug: str) -> None:
    """Delete an article (author only) with its comments, favorites and tag links."""
    article = _article_for_author(user_id=user.id, slug=slug)
    db.session.delete(article)
    db.session.commit()


def _article_id(slug: str) -> int:
    article_id = db.session.scalar(select(Article.id).where(_equals(Article.slug, slug)))
    if article_id is None:
        raise NotFoundError("article")
    return article_id


def favorite_article(*, user: User, slug: str) -> Article:
    """Mark the article as a favorite of `user` (idempotent)."""
    user_id = user.id
    article_id = _article_id(slug)
    if db.session.get(Favorite, (user_id, article_id)) is None:
        db.session.add(Favorite(user_id=user_id, article_id=article_id))
        _commit_ignoring_duplicate()
    return _load_article(viewer_id=user_id, article_id=article_id)


def unfavorite_article(*, user: User, slug: str) -> Article:
    """Remove the article from the favorites of `user` (idempotent)."""
    user_id = user.id
    article_id = _article_id(slug)
    db.session.execute(
        delete(Favorite).where(Favorite.user_id == user_id, Favorite.article_id == article_id)
    )
    db.session.commit()
    return _load_article(viewer_id=user_id, article_id=article_id)


# --- comments --------------------------------------------------------------------------------


def _comment_query() -> Select[tuple[Comment]]:
    return (
        select(Comment)
        .join(Comment.author)
        .options(contains_eager(Comment.author).with_expression(User.following, _following()))
        .execution_options(populate_existing=True)
    )


# Built once, like ARTICLE_BY_ID.
COMMENTS_OF_ARTICLE = (
    _comment_query()
    .where(Comment.article_id == bindparam("article_id"))
    .order_by(Comment.created_at, Comment.id)
)


def list_comments(*, viewer: User | None, slug: str) -> list[Comment]:
    """The article's comments, oldest first, each author with the viewer's following flag."""
    viewer_id = viewer.id if viewer else None
    article_id = _article_id(slug)
    parameters = {"viewer_id": viewer_id, "article_id": article_id}
    return list(db.session.scalars(COMMENTS_OF_ARTICLE, parameters))


def add_comment(*, author: User, slug: str, body: str) -> Comment:
    """Comment on the article as `author`.

    The answer is the row just written, not read back: its author is the caller, already loaded,
    who cannot follow themselves (ck_follows_not_self)."""
    comment = Comment(body=body, article_id=_article_id(slug), author=author)
    db.session.add(comment)
    db.session.commit()
    author.following = False
    return comment


def delete_comment(
    *,
    user: User,
    slug: str,
    comment_id: int | None,
) -> None:
    """Delete a comment (its author only); None is an id that can never exist (schemas)."""
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


# --- tags and health -------------------------------------------------------------------------


# Built once, like ARTICLE_BY_ID.
TAG_USES = (
    select(Tag.name, func.count().label("uses"))
    .join(article_tags, article_tags.c.tag_id == Tag.id)
    .group_by(Tag.id, Tag.name)
)


def list_tags() -> list[str]:
    """Tags on at least one article, most used first, then by name in code-point order.

    The sort runs in Python: PostgreSQL would order names by the database's collation (often
    a locale's), which is not the code-point order SQLite and the other two apps use.
    """
    result = db.session.execute(TAG_USES)
    rows = result.all()
    return [row.name for row in sorted(rows, key=lambda row: (-row.uses, row.name))]


def check_database() -> None:
    """Raise DatabaseUnavailableError unless the database answers `SELECT 1`."""
    try:
        db.session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        raise DatabaseUnavailableError() from None
