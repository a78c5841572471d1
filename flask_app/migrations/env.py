"""Alembic environment for Flask-Migrate: runs against the app's engine and metadata.

`flask --app flask_app db upgrade` is the only way the schema is made. For a SQLite URL it
first creates the database file's directory, so a fresh checkout can migrate straight away.
"""

import logging
from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy.engine import Connection, Engine

config = context.config
if config.config_file_name is not None:
    # Keep the app's own loggers working when migrations run inside tests.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def get_engine() -> Engine:
    engine: Engine = migrate_ext.db.engine
    return engine


def ensure_sqlite_directory(engine: Engine) -> None:
    """SQLite creates the file on connect but not its parent directory."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def run_migrations_offline() -> None:
    """Emit SQL for the app's database URL without connecting (`flask db upgrade --sql`)."""
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply migrations over a live connection."""

    def skip_empty_autogenerate(_context: Any, _revision: Any, directives: list[Any]) -> None:
        """`flask db migrate` writes no file when the models and the database agree."""
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", skip_empty_autogenerate)
    engine = get_engine()
    ensure_sqlite_directory(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _set_foreign_keys(connection, enforced=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                **conf_args,  # Flask-Migrate's defaults: compare_type and render_as_batch on
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migrated database breaks its foreign keys: {broken}")
        finally:
            if sqlite:  # the connection goes back to the app's pool
                _set_foreign_keys(connection, enforced=True)


def _set_foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """SQLite only. Batch migrations copy a table and drop the original; with foreign keys
    enforced, dropping a table that others reference would delete their rows (ON DELETE
    CASCADE). The pragma is ignored inside a transaction, so it is set between them."""
    connection.commit()
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
