"""Fast bulk writes for the ingestion hot path, on SQLite and PostgreSQL alike.

Django's bulk_update builds one giant CASE expression per field and bulk_create prepares every
field of every row through the field machinery; on a 1,000-message batch that is most of the
pipeline's time. These helpers send plain `executemany` statements instead, adapting only the
column types that need it (datetimes). Callers must hold the rows they update (select_for_update
inside the same transaction; SQLite's IMMEDIATE transactions hold the whole database).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState

M = TypeVar("M", bound=models.Model)

Adapter = Callable[[Any], Any] | None


def _sqlite_datetime(value: Any) -> Any:
    # What Django's SQLite backend stores (naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"), without
    # its per-call settings look-ups: this runs for every datetime of every ingested row.
    if isinstance(value, datetime) and value.tzinfo is not None:
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


class _Columns:
    """How to read a model's columns off instances: one C-level attrgetter, then adapters."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = [model._meta.get_field(name) for name in names]
        self.columns = [f.column for f in fields]  # type: ignore[union-attr]
        self.get = attrgetter(*[f.attname for f in fields])  # type: ignore[union-attr]
        self.adapters = [(i, a) for i, a in enumerate(_adapter(f) for f in fields) if a is not None]  # type: ignore[arg-type]

    def row(self, obj: models.Model) -> list[Any]:
        values = self.get(obj)
        values = list(values) if isinstance(values, tuple) else [values]
        for i, adapt in self.adapters:
            if values[i] is not None:
                values[i] = adapt(values[i])
        return values


def update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """UPDATE each object's `fields` by primary key, in one executemany."""
    if not objs:
        return
    columns = _Columns(model, fields)
    qn = connection.ops.quote_name
    # Identifiers come from the model's own metadata; every value is a bound parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        qn(model._meta.db_table), ", ".join(f"{qn(column)} = %s" for column in columns.columns), qn(model._meta.pk.column)
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*columns.row(obj), obj.pk] for obj in objs])


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT the objects (all concrete fields but the auto primary key), in one executemany.

    Primary keys are not set on the objects: callers that need them read them back by a
    unique key.
    """
    if not objs:
        return
    columns = _Columns(model, [f.name for f in model._meta.concrete_fields if not f.primary_key])
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        qn(model._meta.db_table), ", ".join(qn(c) for c in columns.columns), ", ".join(["%s"] * len(columns.columns))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [columns.row(obj) for obj in objs])


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
        obj.__dict__[attname] = default()
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj


@cache
def _defaults(model: type[models.Model]) -> tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]:
    constants: dict[str, Any] = {}
    callables: list[tuple[str, Callable[[], Any]]] = []
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            callables.append((field.attname, field.default))
        else:
            constants[field.attname] = field.get_default()
    return constants, callables
