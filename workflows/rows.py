"""Model instances from rows of hand-written SQL, for the few reads on every act where building the statement
through the ORM costs more than the database takes to answer it.

`Columns` lists a model's concrete columns under a table alias, in the order `build` reads them back, and converts
each value as the ORM would (the backend's converters, then the field's). Both are built once per database vendor
and used with the connection at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def _converters(field: models.Field, alias: str, connection: BaseDatabaseWrapper) -> tuple[Any, list[Converter]]:
    column = field.get_col(alias)
    return column, [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]


class Columns:
    """The columns of `model` as `alias` in a SELECT (`sql`), and the instance built from them (`build`)."""

    def __init__(self, model: type[models.Model], alias: str, connection: BaseDatabaseWrapper) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.width = len(fields)
        self._names = [f.attname for f in fields]
        self._pk_index = fields.index(model._meta.pk)
        self._converters = [_converters(f, alias, connection) for f in fields]

    def build(self, row: Sequence[Any], start: int, connection: BaseDatabaseWrapper) -> Any:
        """The instance from the row's columns from `start` on; None when its key is NULL (an outer join found none)."""
        values = list(row[start : start + self.width])
        if values[self._pk_index] is None:
            return None
        for index, (column, converters) in enumerate(self._converters):
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(connection.alias, self._names, values)


class Value:
    """One value in a SELECT, converted as `field` converts its column."""

    def __init__(self, field: models.Field, connection: BaseDatabaseWrapper) -> None:
        self._column, self._converters = _converters(field, field.model._meta.db_table, connection)

    def convert(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        for convert in self._converters:
            value = convert(value, self._column, connection)
        return value
