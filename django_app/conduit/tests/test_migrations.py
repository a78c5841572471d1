"""The migrations agree with the models, on SQLite and on PostgreSQL.

`makemigrations --check` proves the migration files build exactly the models' state; a database
made by running those files, introspected, proves they build the schema the queries rely on:
the unique columns and pairs, the foreign keys and the indexes behind each list.

SQLite uses the test database, which Django's runner builds with the real migrations.
PostgreSQL, what production runs, gets a throwaway database created and dropped here, migrated
and checked with the same manage.py commands a deployment uses. That variant is tagged
"postgres": `make test` leaves it out, `make test-postgres` runs it and fails if no server
answers at POSTGRES_ADMIN_URL (by default postgresql://postgres@127.0.0.1:5432/postgres).
"""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import dj_database_url
import psycopg
from django.core.management import call_command
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase, TestCase, tag

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"
POSTGRES_ADMIN_URL = os.environ.get(
    "POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

# (table, columns) with a unique constraint.
UNIQUE = [
    ("conduit_user", ("username",)),
    ("conduit_user", ("email",)),
    ("conduit_article", ("slug",)),
    ("conduit_tag", ("name",)),
    ("conduit_follow", ("follower_id", "followed_id")),
    ("conduit_favorite", ("user_id", "article_id")),
    ("conduit_article_tags", ("article_id", "tag_id")),
]
# (table, leading columns) of an index that serves a list query.
INDEXED = [
    ("conduit_article", ("created_at", "id")),  # newest first
    ("conduit_article", ("author_id",)),  # ?author=
    ("conduit_article_tags", ("tag_id",)),  # ?tag=
    ("conduit_favorite", ("user_id",)),  # ?favorited=
    ("conduit_favorite", ("article_id",)),  # favoritesCount
    ("conduit_follow", ("follower_id",)),  # the feed
    ("conduit_comment", ("article_id", "created_at", "id")),  # a thread, oldest first
]
# (table, column, referenced table).
FOREIGN_KEYS = [
    ("conduit_article", "author_id", "conduit_user"),
    ("conduit_article_tags", "article_id", "conduit_article"),
    ("conduit_article_tags", "tag_id", "conduit_tag"),
    ("conduit_favorite", "user_id", "conduit_user"),
    ("conduit_favorite", "article_id", "conduit_article"),
    ("conduit_follow", "follower_id", "conduit_user"),
    ("conduit_follow", "followed_id", "conduit_user"),
    ("conduit_comment", "article_id", "conduit_article"),
    ("conduit_comment", "author_id", "conduit_user"),
]


def schema_gaps(database: BaseDatabaseWrapper) -> list[str]:
    """What the migrated schema of `database` lacks of UNIQUE, INDEXED and FOREIGN_KEYS."""
    with database.cursor() as cursor:
        tables = {entry[0] for entry in [*UNIQUE, *INDEXED]} | {t for t, _, _ in FOREIGN_KEYS}
        constraints = {
            table: list(database.introspection.get_constraints(cursor, table).values())
            for table in tables
        }
    gaps = []
    for table, columns in UNIQUE:
        if not any(c["unique"] and tuple(c["columns"]) == columns for c in constraints[table]):
            gaps.append(f"unique {table}{columns}")
    for table, columns in INDEXED:
        if not any(
            (c["index"] or c["unique"]) and tuple(c["columns"][: len(columns)]) == columns
            for c in constraints[table]
        ):
            gaps.append(f"index {table}{columns}")
    for table, column, target in FOREIGN_KEYS:
        if not any(
            c["columns"] == [column] and c["foreign_key"] and c["foreign_key"][0] == target
            for c in constraints[table]
        ):
            gaps.append(f"foreign key {table}.{column} -> {target}")
    return gaps


class SQLiteMigrationTests(TestCase):
    """The test database, built by the runner with the real migrations."""

    def test_makemigrations_finds_nothing_to_do(self) -> None:
        output = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
        except SystemExit:
            self.fail(f"the models have changes no migration holds:\n{output.getvalue()}")

    def test_schema_has_the_constraints_and_indexes(self) -> None:
        self.assertEqual(schema_gaps(connection), [])


@tag("postgres")
class PostgreSQLMigrationTests(SimpleTestCase):
    """A throwaway PostgreSQL database migrated by manage.py, as a deployment does it."""

    def setUp(self) -> None:
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=5, autocommit=True) as admin:
                admin.execute("SELECT 1")
        except psycopg.OperationalError as error:
            if error.sqlstate is not None:
                raise  # A server answered and refused (bad role, say): that is a failure.
            self.fail(
                f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}: {error}; start one or "
                "set POSTGRES_ADMIN_URL (plain `make test` leaves this to `make test-postgres`)"
            )
        name = f"conduit_django_migrations_{os.getpid()}_{time.time_ns()}"
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.addCleanup(self.drop_database, name)
        self.database_url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"

    @staticmethod
    def drop_database(name: str) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def manage(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run manage.py against the throwaway database."""
        return subprocess.run(
            [sys.executable, str(MANAGE_PY), *arguments],
            env={**os.environ, "DATABASE_URL": self.database_url},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def test_migrated_database_matches_the_models(self) -> None:
        for arguments in (
            ("migrate", "--noinput"),
            ("migrate", "--check"),
            ("makemigrations", "--check", "--dry-run"),
        ):
            with self.subTest(" ".join(arguments)):
                result = self.manage(*arguments)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

        # A handler of its own, under an alias the test runner does not guard (it only lets
        # SimpleTestCase reach the aliases of django.db.connections through `databases`).
        handler = ConnectionHandler(
            {"default": {}, "throwaway": dj_database_url.parse(self.database_url)}
        )
        try:
            self.assertEqual(schema_gaps(handler["throwaway"]), [])
        finally:
            handler.close_all()
