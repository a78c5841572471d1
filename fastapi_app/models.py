"""ORM models (typed SQLAlchemy 2). The schema itself is made only by the Alembic migrations."""

import re
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, query_expression, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# NUL (PostgreSQL refuses it in text, even as a query parameter) and lone UTF-16 surrogates
# (a Python string can hold one, JSON "\ud800" decodes to it, but it has no UTF-8 encoding).
UNSTORABLE_CHARACTER = re.compile(r"[\x00\ud800-\udfff]")


def is_storable_text(value: str) -> bool:
    """Whether every supported database can store `value` in a text column and compare with it.
    Request fields holding such characters are rejected; lookups by them find nothing without
    asking the database."""
    return UNSTORABLE_CHARACTER.search(value) is None


def utcnow() -> datetime:
    """Now in UTC, truncated to milliseconds: the precision the API serialises."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _same_as_created_at(context: DefaultExecutionContext) -> datetime:
    """A new row's updated_at equals its created_at exactly."""
    created_at: datetime = context.get_current_parameters()["created_at"]
    return created_at


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


article_tags = Table(
    "article_tags",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "tag_id"),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(String(1000))
    image: Mapped[str | None] = mapped_column(String(2048))

    # Whether the viewer of a request follows this user; filled in by the query that loads the
    # user (`with_expression(User.following, services._following(...))`), never stored.
    following: Mapped[bool] = query_expression()


class Follow(Base):
    __tablename__ = "follows"
    __table_args__ = (Index(None, "followed_id"),)

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Favorite(Base):
    # The primary key (user_id, article_id) doubles as the "favorites by user" index.
    __tablename__ = "favorites"
    __table_args__ = (Index(None, "article_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_same_as_created_at
    )

    # lazy="raise": in async code a forgotten eager load must fail loudly, not do hidden IO.
    author: Mapped[User] = relationship(lazy="raise")
    # Deleting an article removes its tag links, comments and favorites through ON DELETE
    # CASCADE (passive_deletes: the ORM leaves it to the database instead of loading them).
    tags: Mapped[list[Tag]] = relationship(
        secondary=article_tags, passive_deletes=True, lazy="raise"
    )
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    favorites: Mapped[list[Favorite]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )

    # Per-viewer values filled in by the loading query (services._article_query), never stored.
    favorited: Mapped[bool] = query_expression()
    favorites_count: Mapped[int] = query_expression()

    @property
    def tag_list(self) -> list[str]:
        """Tag names in code-point order, as the API returns them."""
        return sorted(tag.name for tag in self.tags)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=_same_as_created_at
    )

    article: Mapped[Article] = relationship(back_populates="comments", lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
