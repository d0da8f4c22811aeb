"""Helpers for bulk statements that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute

Insert = postgresql.Insert | sqlite.Insert
T = TypeVar("T")

# Ids per IN (...) list: far below SQLite's bound-variable limit, long enough to stay fast.
IN_CHUNK = 500


def insert(dialect: Dialect, table: Table) -> Insert:
    """The dialect's INSERT, the one with ``on_conflict_do_update`` / ``on_conflict_do_nothing``."""
    if dialect.name == "postgresql":
        return postgresql.insert(table)
    if dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for database {dialect.name!r}: use SQLite or PostgreSQL")


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices short enough for one ``IN (...)`` list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(
    dialect: Dialect, column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values``, as ``= ANY(array)`` on PostgreSQL.

    An ``IN`` list binds one parameter per value, and psycopg re-parses a statement of more
    than 50 parameters on every execution (it caches only short ones); one array parameter
    keeps the statement short and cached.
    """
    if dialect.name == "postgresql":
        element = column.expression if isinstance(column, QueryableAttribute) else column
        return element == any_(bindparam(None, list(values), type_=postgresql.ARRAY(element.type)))
    return column.in_(values)
