"""Migrations agree with the models: on a database built by `cli migrate`, Alembic's
autogenerate comparison finds nothing to do. Checked on SQLite and, when a server answers, on a
throwaway PostgreSQL database (POSTGRES_ADMIN_URL, as in the contract suite).

These tests are synchronous: the migrations run their own event loop (migrations/env.py), and
the comparison runs on the app's async engine through `run_sync`.
"""

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from fastapi_app import models  # noqa: F401  (imported for its tables, which join Base.metadata)
from fastapi_app.cli import alembic_config, migrate
from fastapi_app.db import Base, async_database_url, create_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _compare(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def schema_differences(database_url: str) -> list[Any]:
    """What `alembic revision --autogenerate` would put in a new migration (nothing, we hope)."""

    async def compare() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_compare)
        finally:
            await engine.dispose()

    return asyncio.run(compare())


async def _run_admin(statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) as the admin user."""
    engine = create_async_engine(
        async_database_url(POSTGRES_ADMIN_URL),
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": 5},
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"fastapi_app_migrations_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_run_admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:  # refused or timed out: there is no server to test against
        pytest.fail(
            f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL} ({exc}); start one or set "
            "POSTGRES_ADMIN_URL (plain `make test` leaves this check to `make test-postgres`)"
        )
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_run_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_sqlite_schema_matches_the_models(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/new/conduit.sqlite3"  # migrate creates the directory
    migrate(database_url)
    assert schema_differences(database_url) == []


@pytest.mark.postgres
def test_postgresql_schema_matches_the_models(postgres_database_url: str) -> None:
    migrate(postgres_database_url)
    assert schema_differences(postgres_database_url) == []


# One row in every table, written at revision 0001 (raw SQL: the models describe the head).
ROWS_AT_0001 = (
    "INSERT INTO users (id, username, email, password_hash) VALUES (1, 'ann', 'a@x.io', 'h')",
    "INSERT INTO users (id, username, email, password_hash) VALUES (2, 'bob', 'b@x.io', 'h')",
    "INSERT INTO follows (follower_id, followed_id) VALUES (2, 1)",
    "INSERT INTO tags (id, name) VALUES (1, 'python')",
    "INSERT INTO articles (id, slug, title, description, body, author_id, created_at, updated_at)"
    " VALUES (1, 'hello', 'Hello', 'd', 'b', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO article_tags (article_id, tag_id) VALUES (1, 1)",
    "INSERT INTO favorites (user_id, article_id) VALUES (2, 1)",
    "INSERT INTO comments (id, body, article_id, author_id, created_at, updated_at)"
    " VALUES (1, 'hi', 1, 2, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
)
TABLES = ("users", "follows", "tags", "articles", "article_tags", "favorites", "comments")


def run_sql(database_url: str, *statements: str) -> list[Any]:
    """Run statements in one committed transaction; the first row of each, if any."""

    async def run() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                results = [await connection.execute(text(sql)) for sql in statements]
                return [result.first() if result.returns_rows else None for result in results]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def row_counts(database_url: str) -> list[int]:
    rows = run_sql(database_url, *(f"SELECT count(*) FROM {table}" for table in TABLES))
    return [row[0] for row in rows]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/conduit.sqlite3"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


def test_a_database_of_the_first_revision_upgrades_with_its_data(any_database_url: str) -> None:
    """0002 copies SQLite tables: no row may be lost (nor cascade away) on the way, up or down."""
    url = any_database_url
    command.upgrade(alembic_config(url), "0001")
    run_sql(url, *ROWS_AT_0001)
    counts = row_counts(url)
    assert counts == [2, 1, 1, 1, 1, 1, 1]

    command.upgrade(alembic_config(url), "head")
    assert row_counts(url) == counts
    assert schema_differences(url) == []
    with pytest.raises(IntegrityError, match="ck_follows_not_self"):
        run_sql(url, "INSERT INTO follows (follower_id, followed_id) VALUES (1, 1)")
    if make_url(url).get_backend_name() == "sqlite":
        for table in ("users", "tags", "articles", "comments"):
            (sql,) = run_sql(url, f"SELECT sql FROM sqlite_master WHERE name = '{table}'")[0]
            assert "AUTOINCREMENT" in sql, table

    command.downgrade(alembic_config(url), "0001")
    assert row_counts(url) == counts
    command.upgrade(alembic_config(url), "head")
    assert row_counts(url) == counts


def test_existing_users_are_not_staff_after_0003(any_database_url: str) -> None:
    """0003 adds is_staff (false for every existing row); its downgrade copies the SQLite table
    without the column and loses no row."""
    url = any_database_url
    command.upgrade(alembic_config(url), "0002")
    run_sql(url, *ROWS_AT_0001)
    command.upgrade(alembic_config(url), "0003")
    staff = run_sql(url, "SELECT count(*) FROM users WHERE is_staff")
    assert staff == [(0,)]
    run_sql(
        url, "INSERT INTO users (id, username, email, password_hash) VALUES (3, 'c', 'c@x', 'h')"
    )
    assert run_sql(url, "SELECT is_staff FROM users WHERE id = 3") == [(False,)]

    command.downgrade(alembic_config(url), "0002")
    assert row_counts(url) == [3, 1, 1, 1, 1, 1, 1]
    if make_url(url).get_backend_name() == "sqlite":
        (sql,) = run_sql(url, "SELECT sql FROM sqlite_master WHERE name = 'users'")[0]
        assert "AUTOINCREMENT" in sql
        assert "is_staff" not in sql
