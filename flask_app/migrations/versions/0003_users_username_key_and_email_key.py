"""users.username_key, users.email_key: one account per spelling of a name or an email.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The keys are canonical_username(username) and canonical_email(email) from the models (the
NFKC case fold, the case fold), unique. Existing rows get theirs here; if two existing
accounts share a key (`Jake@x.io` and `jake@x.io`) the upgrade stops before changing anything
and names them, since only a person can decide which one keeps the name. The columns are
added nullable, filled, then made NOT NULL and unique, which on SQLite copies the table (batch
mode, keeping its AUTOINCREMENT).
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from flask_app.models import (
    EMAIL_KEY_LENGTH,
    USERNAME_KEY_LENGTH,
    canonical_email,
    canonical_username,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("username", sa.String()),
    sa.column("email", sa.String()),
    sa.column("username_key", sa.String()),
    sa.column("email_key", sa.String()),
)


def _existing_keys() -> list[tuple[int, str, str]]:
    """(id, username key, email key) of every existing user; stops, before any change to the
    schema, if two of them share a key."""
    rows = op.get_bind().execute(sa.select(users.c.id, users.c.username, users.c.email)).all()
    keys = [(row.id, canonical_username(row.username), canonical_email(row.email)) for row in rows]
    owners: dict[tuple[str, str], list[int]] = defaultdict(list)
    for user_id, username_key, email_key in keys:
        owners["username", username_key].append(user_id)
        owners["email", email_key].append(user_id)
    clashes = [
        f"{field} {key!r}: users {ids}" for (field, key), ids in owners.items() if len(ids) > 1
    ]
    if clashes:
        raise RuntimeError(
            "accounts share a name or an email; rename all but one: " + "; ".join(clashes)
        )
    return keys


def upgrade() -> None:
    keys = _existing_keys()
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=USERNAME_KEY_LENGTH)))
        batch_op.add_column(sa.Column("email_key", sa.String(length=EMAIL_KEY_LENGTH)))
    for user_id, username_key, email_key in keys:
        op.execute(
            sa.update(users)
            .where(users.c.id == user_id)
            .values(username_key=username_key, email_key=email_key)
        )
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column(
            "username_key", existing_type=sa.String(USERNAME_KEY_LENGTH), nullable=False
        )
        batch_op.alter_column(
            "email_key", existing_type=sa.String(EMAIL_KEY_LENGTH), nullable=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_users_username_key"), ["username_key"])
        batch_op.create_unique_constraint(batch_op.f("uq_users_email_key"), ["email_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_users_username_key"), type_="unique")
        batch_op.drop_column("email_key")
        batch_op.drop_column("username_key")
