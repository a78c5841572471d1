"""Database wiring: the declarative base, the async engine and its sessions, SQLite's settings.

SQLite allows one writer at a time. A transaction that reads first and writes later must
upgrade its read lock, and under concurrent writers that upgrade can fail at once with
"database is locked" (the busy timeout does not apply to it). So on SQLite the sessions of
requests that change data begin their transactions with `BEGIN IMMEDIATE`: they take the write
lock before their first read and concurrent writers queue on the busy timeout instead. Reads
use ordinary (deferred) transactions and never wait for writers (WAL).
"""

from typing import Any

from sqlalchemy import Connection, MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
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


# DATABASE_URL is shared with the sync Flask and Django apps, so it names no driver; pick the
# async one here.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def async_database_url(url: str) -> str:
    """Map `sqlite://` and `postgresql://` URLs to their async drivers; leave others unchanged."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in _ASYNC_DRIVERS:
        return url
    return f"{_ASYNC_DRIVERS[scheme]}://{rest}"


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets reads run beside the writer; the busy timeout makes writers wait for each other;
    foreign keys must be switched on per connection for ON DELETE CASCADE to apply.

    synchronous=NORMAL: in WAL mode a commit then appends to the log without an fsync (which
    took ~4 ms here, all of it holding the write lock every other writer waits for); the
    database stays consistent, and only the last commits can be lost to a power failure
    (SQLite's documented trade-off, the usual setting for WAL)."""
    # The driver would BEGIN only before the first write; let SQLAlchemy's "begin" event do it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine(
    database_url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30
) -> AsyncEngine:
    """Build the async engine for DATABASE_URL (connections are opened lazily).

    The pool arguments (config.py: DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT) size the
    PostgreSQL pool; SQLite keeps the pool SQLAlchemy chooses for a file."""
    url = make_url(async_database_url(database_url))
    if url.get_backend_name() != "sqlite":
        return create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
        )
    engine = create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)
    return engine


def create_sessionmaker(
    engine: AsyncEngine, *, writes: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Session factory; `writes=True` for sessions that change data (BEGIN IMMEDIATE on SQLite,
    no difference elsewhere). Loaded objects stay usable after commit: expiring them would make
    the next attribute access do IO, which async code must never do implicitly."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if writes else engine
    return async_sessionmaker(bind, expire_on_commit=False)
