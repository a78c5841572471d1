"""The Flask and FastAPI apps describe one schema: their SQLAlchemy MetaData agree in full.

Both apps map the same tables with SQLAlchemy 2, each in its own `models.py`; a difference in
a length, an index or a constraint would make the two databases behave apart. The comparison
is of the models (no server, no database): each app's migration tests check its migrations
against these same models.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from fastapi_app import models as fastapi_models
from fastapi_app.db import Base
from flask_app import models as flask_models
from flask_app.extensions import db

DIALECTS: dict[str, Dialect] = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def _column(column: Column[Any]) -> dict[str, Any]:
    return {
        "types": {name: column.type.compile(dialect) for name, dialect in DIALECTS.items()},
        "nullable": column.nullable,
        "primary_key": column.primary_key,
        "autoincrement": column.autoincrement,
        "server_default": None if column.server_default is None else str(column.server_default),
    }


def describe(table: Table) -> dict[str, Any]:
    """Everything about a table that reaches the database, in comparable form."""
    constraints = table.constraints
    return {
        "columns": {column.name: _column(column) for column in table.columns},
        "column_order": [column.name for column in table.columns],
        "primary_key": (table.primary_key.name, [c.name for c in table.primary_key.columns]),
        "uniques": sorted(
            (str(c.name), [col.name for col in c.columns])
            for c in constraints
            if isinstance(c, UniqueConstraint)
        ),
        "indexes": sorted(
            (str(index.name), [col.name for col in index.columns], index.unique)
            for index in table.indexes
        ),
        "foreign_keys": sorted(
            (
                str(c.name),
                [col.name for col in c.columns],
                c.referred_table.name,
                [key.column.name for key in c.elements],
                c.ondelete,
                c.onupdate,
            )
            for c in constraints
            if isinstance(c, ForeignKeyConstraint)
        ),
        "checks": sorted(
            (str(c.name), str(c.sqltext)) for c in constraints if isinstance(c, CheckConstraint)
        ),
        "options": {key: value for key, value in table.kwargs.items()},
    }


def test_both_apps_import_their_own_models() -> None:
    """The two MetaData are really the apps' (so the comparison below compares something)."""
    assert flask_models.User.__table__.metadata is db.metadata
    assert fastapi_models.User.__table__.metadata is Base.metadata
    assert db.metadata is not Base.metadata


def test_same_tables() -> None:
    assert sorted(db.metadata.tables) == sorted(Base.metadata.tables)
    assert len(db.metadata.tables) == 7


def test_same_naming_convention() -> None:
    assert db.metadata.naming_convention == Base.metadata.naming_convention


@pytest.mark.parametrize("name", sorted(Base.metadata.tables))
def test_same_table(name: str) -> None:
    flask, fastapi = describe(db.metadata.tables[name]), describe(Base.metadata.tables[name])
    for aspect in flask:
        assert flask[aspect] == fastapi[aspect], f"{name}: {aspect} differs"


def _copy_of_fastapi_tables() -> dict[str, Table]:
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return dict(copy.tables)


def test_the_comparison_sees_each_kind_of_difference() -> None:
    """A changed length, a dropped index, check or unique, another cascade: each is caught."""
    tables = _copy_of_fastapi_tables()
    before = {name: describe(table) for name, table in tables.items()}

    tables["articles"].c.slug.type = String(128)
    tables["articles"].indexes.clear()
    tables["follows"].constraints = {
        c for c in tables["follows"].constraints if not isinstance(c, CheckConstraint)
    }
    tables["users"].constraints = {
        c for c in tables["users"].constraints if not isinstance(c, UniqueConstraint)
    }
    for constraint in tables["comments"].foreign_key_constraints:
        constraint.ondelete = None
    tables["tags"].c.name.nullable = True
    tables["favorites"].kwargs["sqlite_autoincrement"] = True

    after = {name: describe(table) for name, table in tables.items()}
    changed = {
        (name, aspect)
        for name in before
        for aspect in before[name]
        if before[name][aspect] != after[name][aspect]
    }
    assert changed == {
        ("articles", "columns"),
        ("articles", "indexes"),
        ("follows", "checks"),
        ("users", "uniques"),
        ("comments", "foreign_keys"),
        ("tags", "columns"),
        ("favorites", "options"),
    }
