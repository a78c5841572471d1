"""users.is_staff: who may enter the admin. Existing accounts are not staff.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00

Adding a NOT NULL column with a constant default is an ALTER TABLE on both databases (not a
batch operation: on SQLite that would copy the table); dropping it copies the table on SQLite
(batch mode), which keeps its AUTOINCREMENT.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("is_staff")
