"""ORM models (SQLAlchemy 2 typed mappings); the schema itself is made by the migrations.

Per-viewer values (`Article.favorited`, `Article.favorites_count`, `User.following`) are
`query_expression()` attributes: services fill them in the same SELECT that loads the rows,
so a list costs the same number of queries whatever its length.
"""

import re
import unicodedata
from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from fastapi_app.db import Base

# Text no column can hold: PostgreSQL refuses NUL in text (even as a query parameter), and a
# lone UTF-16 surrogate (JSON "\ud800" decodes to one) has no UTF-8 encoding at all.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

# The largest id an integer primary key holds (PostgreSQL's INTEGER); an id from a token or a
# URL past it names no row.
MAX_ID = 2**31 - 1


def is_storable_text(value: str) -> bool:
    """Whether every supported database can store `value` in a text column and compare with it.

    Request fields failing this are "is invalid" (schemas); path segments and filters failing
    it match no row, so services answer them without asking the database.
    """
    return UNSTORABLE.search(value) is None


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


def utcnow() -> datetime:
    """The current UTC time truncated to milliseconds, the precision the API exposes."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _same_as_created_at(context: DefaultExecutionContext) -> datetime:
    """A new row's updated_at equals its created_at exactly."""
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
    created_at: datetime = parameters["created_at"]
    return created_at


class User(Base):
    """An account; also what the API calls a profile."""

    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}  # never reuse ids, as PostgreSQL does

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # canonical_username(username) and canonical_email(email), kept in step by _fill_keys:
    # uniqueness and lookups go through these, so spellings of one name are one account.
    username_key: Mapped[str] = mapped_column(String(USERNAME_KEY_LENGTH), unique=True)
    email_key: Mapped[str] = mapped_column(String(EMAIL_KEY_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(String(1000))
    image: Mapped[str | None] = mapped_column(String(2048))
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What is kept of the token that made the latest password change through the API, which
    # stays valid after it: password_change_digest(token, password_hash), never the token itself.
    password_change_token_digest: Mapped[str | None] = mapped_column(String(64))

    # Whether the viewer of a request follows this user; set per query by services.
    following: Mapped[bool] = query_expression()

    @validates("username", "email")
    def _fill_keys(self, field: str, value: str) -> str:
        """Set the key of a username or email whenever the value is set, by whatever code."""
        if field == "username":
            self.username_key = canonical_username(value)
        else:
            self.email_key = canonical_email(value)
        return value


class Follow(Base):
    """`follower` follows `followed`; the composite primary key makes the pair unique."""

    __tablename__ = "follows"
    __table_args__ = (CheckConstraint("follower_id <> followed_id", name="not_self"),)

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Tag(Base):
    """A tag name, shared by every article that carries it."""

    __tablename__ = "tags"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


article_tags = Table(
    "article_tags",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Article(Base):
    """An article; deleting it removes its comments, favorites and tag links."""

    __tablename__ = "articles"
    __table_args__ = (Index(None, "created_at", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_same_as_created_at
    )

    # lazy="raise": the services' queries load what a response needs; anything else would be
    # hidden IO (an N+1 in Flask, an error in async code).
    author: Mapped[User] = relationship(lazy="raise")
    # Deleting an article removes its tag links, comments and favorites through ON DELETE
    # CASCADE (passive_deletes: the ORM leaves it to the database instead of loading them).
    tags: Mapped[list[Tag]] = relationship(
        secondary=article_tags, passive_deletes=True, lazy="raise"
    )
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    favorites: Mapped[list["Favorite"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    # Per-viewer values; set per query by services.
    favorited: Mapped[bool] = query_expression()
    favorites_count: Mapped[int] = query_expression()

    @property
    def tag_list(self) -> list[str]:
        """Tag names in code-point order, the order the API returns them in."""
        return sorted(tag.name for tag in self.tags)


class Favorite(Base):
    """`user` favorited `article`; the primary key (user_id, article_id) makes the pair unique
    and serves "favorites by user"."""

    __tablename__ = "favorites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Comment(Base):
    """A comment on an article, listed oldest first."""

    __tablename__ = "comments"
    __table_args__ = (Index(None, "article_id", "created_at"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_same_as_created_at
    )

    article: Mapped[Article] = relationship(back_populates="comments", lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
