"""Database wiring: the declarative base, the async engine and its sessions, SQLite's settings.

SQLite allows one writer at a time, and how long each holds the lock decides how long the
others wait. The app leaves transactions to the sqlite3 driver, as the Flask twin does: it
issues BEGIN just before a session's first INSERT, UPDATE or DELETE, so the reads of a request
(the caller, the article it names) run outside the write lock, and a write request holds it
only from its first write to its commit; the reload that builds the response runs after.
As the first statement of its transaction, that write waits on the busy timeout when another
writer has the lock (a transaction that had read first could not: under WAL its upgrade
fails at once with "database is locked").

Each worker keeps one SQLite connection (pool_size=1), so the requests of a worker take turns
in SQLAlchemy's pool, first come first served, instead of each waiting on the file lock in a
thread of its own: SQLite's busy handler polls with sleeps of up to 100 ms, and writers of one
process that began waiting together wake together, one takes the lock and the rest sleep
again; with 8 concurrent writers per worker that made CreateArticleComment's p99 over a
second (`make bench`). Reads never wait for writers in WAL mode, and a request's statements
take well under a millisecond, so one connection is not what limits a worker's throughput.
"""

from typing import Any

from sqlalchemy import MetaData, event
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


SQLITE_BUSY_TIMEOUT_MS = 5000


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets reads run beside the writer; the busy timeout makes writers wait for each other;
    foreign keys must be switched on per connection for ON DELETE CASCADE to apply.

    synchronous=NORMAL: in WAL mode a commit then appends to the log without an fsync (which
    took ~4 ms here, all of it holding the write lock every other writer waits for); the
    database stays consistent, and only the last commits can be lost to a power failure
    (SQLite's documented trade-off, the usual setting for WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(
    database_url: str, *, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30
) -> AsyncEngine:
    """Build the async engine for DATABASE_URL (connections are opened lazily).

    The pool arguments (config.py: DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT) size the
    PostgreSQL pool; SQLite keeps one connection per process (see the module's docstring)."""
    url = make_url(async_database_url(database_url))
    if url.get_backend_name() != "sqlite":
        return create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
        )
    if url.database in (None, "", ":memory:"):  # one connection already: SQLAlchemy's StaticPool
        engine = create_async_engine(url)
    else:
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=pool_timeout)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory. Loaded objects stay usable after commit: expiring them would make the
    next attribute access do IO, which async code must never do implicitly."""
    return async_sessionmaker(engine, expire_on_commit=False)
