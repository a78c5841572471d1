"""Initial schema: users, follows, articles, tags, favorites, comments.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Every foreign key cascades on delete (deleting an article removes its comments, favorites and
tag links). Pair tables use composite primary keys, so a follow or favorite exists once.
Indexes serve the list queries: articles by created_at/id and author, tag links by tag,
favorites by user (the primary key) and by article, comments by article.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("bio", sa.String(length=1000), nullable=True),
        sa.Column("image", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("followed_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("follower_id <> followed_id", name=op.f("ck_follows_not_self")),
        sa.ForeignKeyConstraint(
            ["follower_id"], ["users.id"],
            name=op.f("fk_follows_follower_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["followed_id"], ["users.id"],
            name=op.f("fk_follows_followed_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("follower_id", "followed_id", name=op.f("pk_follows")),
    )
    op.create_index(op.f("ix_follows_followed_id"), "follows", ["followed_id"])

    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"],
            name=op.f("fk_articles_author_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_articles_author_id"), "articles", ["author_id"])
    op.create_index("ix_articles_created_at_id", "articles", ["created_at", "id"])

    op.create_table(
        "article_tags",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_tags_article_id_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"],
            name=op.f("fk_article_tags_tag_id_tags"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "tag_id", name=op.f("pk_article_tags")),
    )
    op.create_index(op.f("ix_article_tags_tag_id"), "article_tags", ["tag_id"])

    op.create_table(
        "favorites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"],
            name=op.f("fk_favorites_user_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_favorites_article_id_articles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "article_id", name=op.f("pk_favorites")),
    )
    op.create_index(op.f("ix_favorites_article_id"), "favorites", ["article_id"])

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_comments_article_id_articles"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"],
            name=op.f("fk_comments_author_id_users"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_comments_article_id_created_at", "comments", ["article_id", "created_at"]
    )
    op.create_index(op.f("ix_comments_author_id"), "comments", ["author_id"])


def downgrade() -> None:
    op.drop_table("comments")
    op.drop_table("favorites")
    op.drop_table("article_tags")
    op.drop_table("articles")
    op.drop_table("follows")
    op.drop_table("tags")
    op.drop_table("users")
