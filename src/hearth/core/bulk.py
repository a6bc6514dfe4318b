"""Fast bulk writes for the ingestion hot path, on SQLite and PostgreSQL alike.

Django's bulk_update builds one giant CASE expression per field and bulk_create prepares every
field of every row through the field machinery; on a 1,000-message batch that is most of the
pipeline's time. These helpers send plain `executemany` statements instead, adapting only the
column types that need it (datetimes). Callers must hold the rows they update (select_for_update
inside the same transaction; SQLite's IMMEDIATE transactions hold the whole database).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar, cast

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL

M = TypeVar("M", bound=models.Model)

Adapter = Callable[[Any], Any] | None


_ZERO = timedelta(0)


def _sqlite_datetime(value: Any) -> Any:
    # What Django's SQLite backend stores (naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"), without
    # its per-call settings look-ups: this runs for every datetime of every ingested row.
    if isinstance(value, datetime) and value.tzinfo is not None:
        if value.utcoffset() == _ZERO:  # the usual case: "…+00:00" minus its offset
            return value.isoformat(" ")[:-6]
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return connection.ops.adapt_datetimefield_value(value)


def _adapter(field: models.Field[Any, Any]) -> Adapter:
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            return _sqlite_datetime
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _column_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    # Callers name concrete columns only: never a reverse relation or a generic foreign key.
    return cast("models.Field[Any, Any]", model._meta.get_field(name))


def bulk_adapter(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    """How one field's value is sent to the database by these helpers (identity where no adapting is needed)."""
    return _adapter(_column_field(model, name)) or (lambda value: value)


class _Columns:
    """How to read a model's columns off instances: one C-level attrgetter, then adapters."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = [_column_field(model, name) for name in names]
        self.columns = [f.column for f in fields]
        # One name gives the bare value, several a tuple (see row()).
        self.get: Callable[[models.Model], Any] = attrgetter(*[f.attname for f in fields])
        self.adapters = [(i, a) for i, a in enumerate(_adapter(f) for f in fields) if a is not None]
        self.last: list[tuple[Any, Any]] = [(None, None)] * len(fields)

    def row(self, obj: models.Model) -> list[Any]:
        values = self.get(obj)
        values = list(values) if isinstance(values, tuple) else [values]
        last = self.last
        for i, adapt in self.adapters:
            value = values[i]
            if value is not None:
                # A batch shares values such as its ingestion time: adapt each once, not per row.
                if last[i][0] is not value:
                    last[i] = (value, adapt(value))
                values[i] = last[i][1]
        return values


def update_rows(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """UPDATE each object's `fields` by primary key, in one executemany."""
    if not objs:
        return
    columns = _Columns(model, fields)
    qn = connection.ops.quote_name
    # Identifiers come from the model's own metadata; every value is a bound parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(f"{qn(column)} = %s" for column in columns.columns),
        qn(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*columns.row(obj), obj.pk] for obj in objs])


def allocate_pks(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Give each new object the primary key it will have, before :func:`insert_rows`.

    Knowing the keys up front lets a batch point rows at each other (a reply at its parent in
    the same batch) in the INSERT itself, instead of reading the keys back and updating.
    PostgreSQL hands out the values of the table's identity sequence. SQLite has no sequence
    object: the caller must hold the write lock (Hearth's transactions are IMMEDIATE), under
    which the next keys follow the largest key ever given (`sqlite_sequence`, which
    AUTOINCREMENT keeps, or the largest row if greater).
    """
    if not objs:
        return
    table = model._meta.db_table
    pk = model._meta.pk.column
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(table), pk, len(objs)],
            )
            keys = [row[0] for row in cursor.fetchall()]
        else:
            if not connection.in_atomic_block:
                raise RuntimeError("allocate_pks needs the write lock of an atomic block on SQLite")
            cursor.execute(
                "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"  # noqa: S608
                f" COALESCE((SELECT max({qn(pk)}) FROM {qn(table)}), 0))",
                [table],
            )
            last = cursor.fetchone()[0]
            keys = list(range(last + 1, last + 1 + len(objs)))
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT the objects (all concrete fields), in one executemany.

    With primary keys set by :func:`allocate_pks`, they are inserted as given and the objects
    are marked saved; without, the database numbers the rows and the objects do not learn
    their keys.
    """
    if not objs:
        return
    with_pk = objs[0].pk is not None
    columns = _Columns(
        model, [f.name for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    )
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        qn(model._meta.db_table),
        ", ".join(qn(c) for c in columns.columns),
        ", ".join(["%s"] * len(columns.columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [columns.row(obj) for obj in objs])
    if with_pk:
        for obj in objs:
            obj._state.adding = False


def build(model: type[M], **values: Any) -> M:
    """A new, unsaved instance, much cheaper than `model(**values)` on the ingestion hot path.

    Django's __init__ walks every field for every keyword; here the field defaults are computed
    once per model and copied. Only for models whose defaults are constants or `timezone.now`-
    like callables, and for values given by attname (`thread_id=…`, not `thread=…`).
    """
    constants, callables = _defaults(model)
    obj = model.__new__(model)
    obj.__dict__.update(constants)
    for attname, default in callables:
        if (
            attname not in values
        ):  # a default such as timezone.now is not worth calling to overwrite
            obj.__dict__[attname] = default()
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj


@cache
def _defaults(
    model: type[models.Model],
) -> tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]:
    constants: dict[str, Any] = {}
    callables: list[tuple[str, Callable[[], Any]]] = []
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            callables.append((field.attname, field.default))
        else:
            constants[field.attname] = field.get_default()
    return constants, callables


def in_values(values: Collection[str] | Collection[int]) -> RawSQL | list[Any]:
    """The right-hand side of `field__in=` for a large list of strings or of integers, sent as ONE parameter.

    `filter(external_id__in=[…1,000 ids…])` makes Django prepare every value through the field's
    lookup machinery and bind 1,000 parameters; on the ingestion path, several such look-ups
    per batch cost more than the SQL itself. Here the list travels as one JSON array (SQLite's
    `json_each`) or one array (PostgreSQL's `unnest`), and both use the column's index.
    """
    items = list(values)
    if (
        not items
    ):  # no element type to infer: Django's own `__in=[]`, which matches nothing without a query
        return []
    if connection.vendor == "postgresql":
        kind = "bigint" if all(isinstance(v, int) for v in items) else "text"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", (items,))  # noqa: S611 - kind is one of two literals
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(items),))
