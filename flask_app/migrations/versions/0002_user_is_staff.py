"""users.is_staff: who may sign in to the admin.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A boolean, not null, false by default (the server default makes every existing user
non-staff); `flask --app flask_app create-staff` and the demo data's staff login set it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("is_staff")
