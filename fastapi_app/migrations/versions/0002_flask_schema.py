"""The Flask app's schema: ids never reused, no self-follow, list indexes, 255-character slugs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00

- users, tags, articles, comments: AUTOINCREMENT on SQLite, so an id is never handed out twice
  (as on PostgreSQL): a deleted article's or comment's id cannot come to name a new one.
- follows: CHECK (follower_id <> followed_id), the no-self-follow rule in the schema too.
- articles: the (created_at, id) index serves "newest first" (ORDER BY both) where the index on
  created_at alone did not; slugs may be 255 characters, like titles.
- comments: (article_id, created_at) serves "this article's comments, oldest first".

SQLite can change none of this in place, so its tables are copied (batch mode); env.py switches
its foreign keys off meanwhile, as dropping a referenced table would otherwise cascade.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _copy(autoincrement: bool) -> dict[str, Any]:
    """Batch options that (on SQLite only) rebuild a table with or without AUTOINCREMENT."""
    if op.get_bind().dialect.name != "sqlite":
        return {}
    return {"recreate": "always", "table_kwargs": {"sqlite_autoincrement": autoincrement}}


def upgrade() -> None:
    for table in ("users", "tags"):
        if _copy(True):
            with op.batch_alter_table(table, **_copy(True)):
                pass
    with op.batch_alter_table("articles", **_copy(True)) as batch:
        batch.alter_column(
            "slug",
            existing_type=sa.String(length=128),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
        batch.drop_index("ix_articles_created_at")
        batch.create_index("ix_articles_created_at_id", ["created_at", "id"])
    with op.batch_alter_table("comments", **_copy(True)) as batch:
        batch.drop_index("ix_comments_article_id")
        batch.create_index("ix_comments_article_id_created_at", ["article_id", "created_at"])
    with op.batch_alter_table("follows") as batch:
        batch.create_check_constraint(op.f("ck_follows_not_self"), "follower_id <> followed_id")


def downgrade() -> None:
    with op.batch_alter_table("follows") as batch:
        batch.drop_constraint(op.f("ck_follows_not_self"), type_="check")
    with op.batch_alter_table("comments", **_copy(False)) as batch:
        batch.drop_index("ix_comments_article_id_created_at")
        batch.create_index("ix_comments_article_id", ["article_id"])
    with op.batch_alter_table("articles", **_copy(False)) as batch:
        batch.drop_index("ix_articles_created_at_id")
        batch.create_index("ix_articles_created_at", ["created_at"])
        batch.alter_column(
            "slug",
            existing_type=sa.String(length=255),
            type_=sa.String(length=128),
            existing_nullable=False,
        )
    for table in ("tags", "users"):
        if _copy(False):
            with op.batch_alter_table(table, **_copy(False)):
                pass
