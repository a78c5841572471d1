"""Alembic environment, async: migrations run on the app's own async engine and driver.

There is no alembic.ini; `fastapi_app.cli.alembic_config()` builds the configuration and may
pass the database URL in `config.attributes["database_url"]` (otherwise DATABASE_URL is used).
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from fastapi_app.config import get_settings
from fastapi_app.db import async_database_url, create_engine
from fastapi_app.models import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return url if isinstance(url, str) else get_settings().database_url


def run_migrations_offline() -> None:
    """Emit the SQL to stdout (`--sql`) without connecting."""
    context.configure(
        url=async_database_url(_database_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_migrations(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most constraints, so later migrations copy tables.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    """Apply the migrations through an async connection (same pragmas as the app's)."""
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
