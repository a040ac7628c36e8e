"""One multi-row INSERT for new model instances, on every database.

Tortoise's `bulk_create` prepares one INSERT and runs it once per row (asyncpg `executemany`: a
Bind/Execute pair per row); this sends `INSERT ... VALUES (...), (...), ...` instead, one statement per
chunk of rows (SQLite allows 999 bound values a statement), with each field's own conversion
(`to_db_value`, which also stamps `auto_now`/`auto_now_add` fields on the instance).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)

MAX_VALUES = 999  # bound values per statement (SQLite's lowest default limit)


async def insert_all(rows: Sequence[M]) -> Sequence[M]:
    """Inserts `rows` (instances of one model, primary keys already set) in one statement per chunk;
    returns them. Runs on the current transaction's connection when there is one."""
    if not rows:
        return rows
    model = type(rows[0])
    db = model._choose_db(for_write=True)
    executor = db.executor_class(model=model, db=db)
    fields, columns = executor._prepare_insert_columns(include_generated=True)
    fields_map = model._meta.fields_map
    per_statement = max(1, MAX_VALUES // len(columns))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        query = db.query_class.into(model._meta.basetable).columns(*columns)
        values: list[object] = []
        for row in chunk:
            query = query.insert(*[executor.parameter(len(values) + i) for i in range(len(fields))])
            values.extend(fields_map[name].to_db_value(getattr(row, name), row) for name in fields)
        await db.execute_query(query.get_sql(), values)
    return rows
