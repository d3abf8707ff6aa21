"""Plain SQL for the few statements on the hot path of every write (randomization, the audit
trail, the database lock check).

Building a query through the ORM costs ~0.2-0.3 ms of CPU each time (compiling the query, not
running it: SQLite answers in microseconds), which made a randomization's 18 statements most of
its cost. These helpers take table and column names from the models, prepare values with the
models' own fields (so a row reads back exactly as if the ORM had written it: datetimes, JSON,
booleans on SQLite and PostgreSQL alike) and run the statement on Django's connection, inside the
caller's transaction and visible to ``CaptureQueriesContext``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models

M = TypeVar("M", bound=models.Model)


def table(model: type[models.Model]) -> str:
    """The quoted table name of ``model``."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    """The quoted column name of the field ``name`` of ``model`` (``"participant"``: its id)."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


def fetch_one(sql: str, params: list[Any] | tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Run ``sql`` (``%s`` placeholders) and return its first row, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params: list[Any] | tuple[Any, ...]) -> int:
    """Run ``sql`` (``%s`` placeholders) and return the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@cache
def _insert_head(model: type[models.Model], vendor: str) -> tuple[str, str]:
    """``INSERT INTO table (columns)`` of every field but the primary key, and the primary key's
    quoted column (for ``RETURNING``)."""
    columns = ", ".join(connection.ops.quote_name(field.column) for field in _insert_fields(model))
    return (f"INSERT INTO {table(model)} ({columns})",
            connection.ops.quote_name(model._meta.pk.column))


@cache
def _insert_statement(model: type[models.Model], vendor: str
                      ) -> tuple[str, tuple[models.Field, ...]]:
    fields = _insert_fields(model)
    head, pk = _insert_head(model, vendor)
    return f"{head} VALUES {_row_placeholders(len(fields))} RETURNING {pk}", fields


def _row_placeholders(count: int) -> str:
    return "(" + ", ".join(["%s"] * count) + ")"


# rows per multi-row INSERT: SQLite's limit of bound parameters (999 before 3.32)
_PARAMETERS_PER_STATEMENT = 900


def insert(model: type[M], /, **values: Any) -> M:
    """Create one row of ``model`` as ``model.objects.create(**values)`` does (defaults, values
    prepared by the fields, the saved instance returned) in one INSERT, without ``save()`` and
    its signals: for append-only rows that nothing listens for."""
    instance = model(**values)
    sql, fields = _insert_statement(model, connection.vendor)
    params = [field.get_db_prep_save(field.pre_save(instance, True), connection)
              for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_many(model: type[models.Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows of ``model`` in multi-row INSERTs, values prepared by the fields as
    :func:`insert` does; each row maps every concrete field's ``attname`` (a foreign key's
    ``..._id``) but the primary key's to its value. For the append-only rows of a batch, which
    nothing reads back and nothing listens for.
    """
    fields = _insert_fields(model)
    head, _pk = _insert_head(model, connection.vendor)
    per_statement = max(1, _PARAMETERS_PER_STATEMENT // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            cursor.execute(f"{head} VALUES "
                           + ", ".join([_row_placeholders(len(fields))] * len(chunk)),
                           [field.get_db_prep_save(row[field.attname], connection)
                            for row in chunk for field in fields])


def insert_instances(instances: Sequence[M]) -> list[M]:
    """Save new instances of one model as ``bulk_create`` does (values prepared by the fields,
    primary keys set from ``RETURNING`` in the rows' order, which Django's own bulk insert relies
    on too) without building the query through the ORM, whose compiling of every value was most
    of the cost: for append-only rows that nothing listens for (no ``save()``, no signals)."""
    if not instances:
        return []
    model = type(instances[0])
    fields = _insert_fields(model)
    head, pk = _insert_head(model, connection.vendor)
    per_statement = max(1, _PARAMETERS_PER_STATEMENT // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(instances), per_statement):
            chunk = instances[start:start + per_statement]
            cursor.execute(f"{head} VALUES "
                           + ", ".join([_row_placeholders(len(fields))] * len(chunk))
                           + f" RETURNING {pk}",
                           [field.get_db_prep_save(field.pre_save(instance, True), connection)
                            for instance in chunk for field in fields])
            for instance, (key,) in zip(chunk, cursor.fetchall(), strict=True):
                instance.pk = key
                instance._state.adding = False
                instance._state.db = connection.alias
    return list(instances)


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


class AppendOnlyManager(models.Manager):
    """The manager of an append-only table written by every write (the audit trail): its
    ``create`` is :func:`insert`, a fraction of the ORM's CPU per row."""

    def create(self, **values: Any) -> Any:
        return insert(self.model, **values)

    def create_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Several rows in multi-row INSERTs (:func:`insert_many`), none read back."""
        if rows:
            insert_many(self.model, rows)


def from_db(model: type[models.Model], field: str, value: Any) -> Any:
    """Convert a value read by plain SQL as the ORM would (JSON text -> Python on SQLite)."""
    target = model._meta.get_field(field)
    if hasattr(target, "from_db_value"):
        return target.from_db_value(value, None, connection)
    return value


def columns(model: type[models.Model], alias: str) -> str:
    """Every concrete column of ``model`` under the table alias ``alias``, in field order: the
    select list that :func:`instances` reads back."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}"
                     for field in model._meta.concrete_fields)


def instances(row: tuple[Any, ...], *model_classes: type[models.Model]
              ) -> list[models.Model | None]:
    """Split a row selected with :func:`columns` of each model (in order) into model instances,
    as the ORM would load them (None for a model whose primary key is NULL: an outer join's
    missing side)."""
    loaded: list[models.Model | None] = []
    start = 0
    for model in model_classes:
        attnames, pk_index, converters = _loader(model, connections[DEFAULT_DB_ALIAS])
        values = list(row[start:start + len(attnames)])
        start += len(attnames)
        if values[pk_index] is None:
            loaded.append(None)
            continue
        for index, column_converters in converters:
            for convert, expression in column_converters:
                values[index] = convert(values[index], expression, connection)
        loaded.append(model.from_db(connection.alias, attnames, values))
    return loaded


@lru_cache(maxsize=256)
def _loader(model: type[models.Model], wrapper: Any) -> tuple[list[str], int, list[Any]]:
    """The attribute names, the primary key's index and the value converters (the backend's,
    then the field's) of ``model``'s columns on the connection ``wrapper`` (one per thread)."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        found = [*wrapper.ops.get_db_converters(expression),
                 *expression.get_db_converters(wrapper)]
        if found:
            converters.append((index, [(convert, expression) for convert in found]))
    return [field.attname for field in fields], fields.index(model._meta.pk), converters
