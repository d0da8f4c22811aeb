"""Bulk statements for SQLite and PostgreSQL: the dialect-specific SQL of storage lives here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import TypeEngine

Insert = postgresql.Insert | sqlite.Insert
T = TypeVar("T")

# Ids per lookup (``among`` binds them as one parameter, so no bound-variable limit applies):
# a statement costs ~2 ms of building and round trip, so 500 ids a statement made a first
# save's author lookups 4x as slow as 5,000 do.
IN_CHUNK = 5000


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
    """``column IN values`` with one parameter: ``= ANY(array)`` on PostgreSQL, ``IN (SELECT
    value FROM json_each(:json))`` on SQLite.

    An ``IN`` list binds one parameter per value: SQLAlchemy renders the list anew on every
    execution (a tenth of a first save's time on SQLite), and psycopg re-parses a statement of
    more than 50 parameters every time (it caches only short ones). One parameter keeps the
    statement short and cached; both databases still probe the column's index per value.
    """
    element = column.expression if isinstance(column, QueryableAttribute) else column
    if dialect.name == "postgresql":
        return element == any_(bindparam(None, list(values), type_=postgresql.ARRAY(element.type)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=sa.Text()))
    return element.in_(select(listed.table_valued("value").c.value))


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    finish: Callable[[Insert], Insert] = lambda statement: statement,
) -> None:
    """Insert ``rows`` (dicts with the same keys) in one statement per call, whatever their number.

    ``finish`` adds the conflict clause (``on_conflict_do_nothing`` / ``_do_update``). SQLite
    gets an executemany: its driver steps one prepared statement per row, in process, which is
    as cheap as a row gets there. PostgreSQL gets ``INSERT .. SELECT * FROM unnest(:a, :b, ..)``
    with one array parameter per column: an executemany there is one server statement per row
    (psycopg pipelines them, yet each is parsed, planned and executed), while the arrays make
    one statement of any length, cached by its shape.
    """
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        _sqlite_executemany(conn, finish(sqlite.insert(table)), table, rows)
        return
    if conn.dialect.name != "postgresql":
        raise ValueError(f"no bulk insert for database {conn.dialect.name!r}")
    names = tuple(rows[0])
    conn.execute(
        finish(_unnest_insert(table, names)),
        {f"u_{name}": _column_values(table, name, rows) for name in names},
    )


def _sqlite_executemany(
    conn: Connection, statement: Insert, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """One sqlite3 ``executemany`` of plain tuples.

    SQLAlchemy's own executemany builds and processes a parameter dict per row, which costs
    more than SQLite takes to insert the row; here the statement is compiled once and each
    row is one tuple through the columns' bind processors (aware datetimes to UTC text, JSON).
    A table with Python-side column defaults takes SQLAlchemy's path, which fills them in.
    """
    names = list(rows[0])
    if any(column.default is not None for column in table.columns):
        conn.execute(statement, list(rows))
        return
    compiled = statement.compile(dialect=conn.dialect, column_keys=names)
    fixed = compiled.construct_params(dict(rows[0]))  # and the literals (NULLIF's "")
    row_keys = set(names)
    order = compiled.positiontup or []
    processors = [
        compiled.binds[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        for name in order
    ]
    constants = {
        name: fixed[name] if process is None else process(fixed[name])
        for name, process in zip(order, processors, strict=True)
        if name not in row_keys
    }
    processed = {
        name: process
        for name, process in zip(order, processors, strict=True)
        if name in row_keys and process is not None
    }
    columns = [
        [process(row[name]) for row in rows]
        if (process := processed.get(name))
        else [row[name] for row in rows]
        if name in row_keys
        else [constants[name]] * len(rows)
        for name in order
    ]
    conn.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


def _unnest_insert(table: Table, names: tuple[str, ...]) -> postgresql.Insert:
    arrays = [
        bindparam(f"u_{name}", type_=postgresql.ARRAY(_element_type(table, name))) for name in names
    ]
    source = func.unnest(*arrays).table_valued(*names).render_derived(name="u")
    columns = [
        sa.cast(source.c[name], table.c[name].type) if _is_json(table, name) else source.c[name]
        for name in names
    ]
    return postgresql.insert(table).from_select(list(names), select(*columns))


def _element_type(table: Table, name: str) -> TypeEngine[Any]:
    # JSON values travel as text and are cast back: an array of JSON lists would not survive
    # psycopg's list adaptation (nested lists are multidimensional arrays).
    return sa.Text() if _is_json(table, name) else table.c[name].type


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, sa.JSON)


def _column_values(table: Table, name: str, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    values = [row[name] for row in rows]
    if _is_json(table, name):
        return [None if value is None else json.dumps(value) for value in values]
    return values
