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
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from fastapi_app.cli import migrate
from fastapi_app.db import async_database_url, create_engine
from fastapi_app.models import Base

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
