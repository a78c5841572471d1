"""Alembic environment, async: migrations run on the app's own async engine and driver.

The configuration is fastapi_app/alembic.ini (the alembic command, and
`fastapi_app.cli.alembic_config()`, which may pass the database URL in
`config.attributes["database_url"]`; otherwise DATABASE_URL is used).
"""

import asyncio
import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from fastapi_app import models  # noqa: F401  (imported for its tables, which join Base.metadata)
from fastapi_app.config import get_settings
from fastapi_app.db import Base, async_database_url, create_engine

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers working when migrations run inside tests.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
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


def _sqlite_foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    """Batch migrations copy a SQLite table and drop the original; with foreign keys enforced,
    dropping a table that others reference would delete their rows (ON DELETE CASCADE).

    The driver would begin a transaction only before an INSERT, UPDATE or DELETE (what the app
    wants, db.py), leaving DDL outside it; `_begin_sqlite_transaction` begins it instead, so a
    migration that fails halfway leaves the schema as it was (SQLAlchemy's pysqlite recipe)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _skip_empty_autogenerate(_context: Any, _revision: Any, directives: list[Any]) -> None:
    """`revision --autogenerate` writes no file when the models and the database agree."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _run_migrations(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most constraints, so later migrations copy tables.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        process_revision_directives=_skip_empty_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "sqlite":
        broken = connection.execute(text("PRAGMA foreign_key_check")).all()
        if broken:
            raise RuntimeError(f"the migrated database breaks its foreign keys: {broken}")


async def run_migrations_online() -> None:
    """Apply the migrations through an async connection (the app's pragmas, but foreign keys
    off on SQLite: see _sqlite_foreign_keys_off)."""
    engine = create_engine(_database_url())
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_foreign_keys_off)
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
