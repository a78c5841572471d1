"""Database wiring: the Flask-SQLAlchemy and Flask-Migrate objects, bound in create_app."""

import sqlite3
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

# Named constraints make migrations reviewable and let Alembic drop or alter them later; every
# column of a multi-column index or unique constraint is in its name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model; carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit; reads that must be fresh use populate_existing.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()

SQLITE_BUSY_TIMEOUT_MS = 5000


def configure_sqlite(engine: Engine) -> None:
    """SQLite only: WAL and a busy timeout so concurrent writers wait, and enforce foreign keys."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    """synchronous=NORMAL: in WAL mode a commit then appends to the log without an fsync (which
    took ~4 ms here, all of it holding the write lock every other writer waits for); the
    database stays consistent, and only the last commits can be lost to a power failure
    (SQLite's documented trade-off, the usual setting for WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def close_sessions_quietly(app: Flask) -> None:
    """End each request's session before Flask-SQLAlchemy removes it, surviving a dead connection.

    Closing rolls back the open transaction. If the database went away during the request, that
    rollback fails too, and raised from a teardown it turns an answered request into the server's
    bare 500. The connection is thrown away instead; the pool's pre-ping replaces it.
    Registered after `db.init_app`, so it runs first (Flask runs teardowns in reverse order).
    """

    @app.teardown_appcontext
    def close_session(_error: BaseException | None) -> None:
        try:
            db.session.close()
        except SQLAlchemyError as error:
            app.logger.warning("discarding a broken database connection: %s", type(error).__name__)
            db.session().invalidate()  # the request's Session itself: the scoped proxy lacks it
