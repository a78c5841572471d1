"""users.password_change_token_digest: the token that made the latest password change stays valid.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A SHA-256 of that token bound to the new password hash (auth.password_change_digest), never
the token. Nullable: existing accounts get null, so no token survives a change made before.
Adding a nullable column is an ALTER TABLE on both databases; dropping it copies the table on
SQLite (batch mode), keeping its AUTOINCREMENT.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("password_change_token_digest", sa.String(length=64)))


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("password_change_token_digest")
