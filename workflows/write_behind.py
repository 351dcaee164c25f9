"""Transactional write-behind: writes that return nothing wait, and go to the database with the next statement.

Inside `write_behind()`, which runs inside a transaction, `save_later`, `insert_later` and `execute_later` hold their
statements instead of sending them. Before the connection sends any other statement, what is held goes first: on
PostgreSQL in the same round trip (psycopg's client-side binding takes several statements in one message), elsewhere
one by one just before it. What is still held when the block ends is sent then. A read in the block therefore sees
every write made before it, as if each had been sent at once; only the round trips are fewer. A session of an ORM
such as Hibernate flushes the same way, before each query and at the end of the unit of work.

- A held write that fails raises from the statement that carried it, and the transaction rolls back as it would have.
- A rollback to a savepoint undoes what was held since: the rollback carries those writes, so they run before it.
- Leaving the block by a database error drops what is held: the transaction can only roll back.
- Writes keep Django's save semantics of their fields (`pre_save`, database preparation), but send no signal: a model
  with save signal receivers is saved at once instead.

The statements held are logged as queries (when queries are logged, as in tests) with "-- held" before them, so that
counting queries still counts every statement; the lines without it are the round trips.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save

HELD_MARK = "-- held\n"


@dataclass
class _Held:
    connection: BaseDatabaseWrapper
    statements: list[tuple[str, list[Any]]] = field(default_factory=list)

    def take(self) -> list[tuple[str, list[Any]]]:
        statements, self.statements = self.statements, []
        if self.connection.queries_logged:
            for sql, params in statements:
                self.connection.queries_log.append({"sql": f"{HELD_MARK}{sql} -- {params!r}", "time": "0.000"})
        return statements

    def send(self) -> None:
        """Send what is held now, in one round trip where the database takes several statements at once."""
        statements = self.take()
        if not statements:
            return
        with self.connection.cursor() as cursor:
            if sends_statements_together(self.connection):
                cursor.execute(*_joined(statements))
            else:
                for sql, params in statements:
                    cursor.execute(sql, params)

    def carry(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        """The execute wrapper: send what is held with (or before) the statement the connection sends now."""
        if not self.statements:
            return execute(sql, params, many, context)
        cursor = context["cursor"].cursor
        together = sends_statements_together(self.connection)
        if many or isinstance(params, dict) or not together or getattr(cursor, "name", None):
            self.send()  # executemany, named parameters, another database or a server-side cursor: no carrying
            return execute(sql, params, many, context)
        statements = self.take()
        if params is None:  # a statement sent without parameters gets its % signs escaped once it has some
            sql, params = sql.replace("%", "%%"), []
        joined_sql, joined_params = _joined([*statements, (sql, list(params))])
        result = execute(joined_sql, joined_params, False, context)
        for _ in statements:
            cursor.nextset()  # the caller reads the last statement's result, as if it had been sent alone
        return result


_held: ContextVar[_Held | None] = ContextVar("write_behind", default=None)


def sends_statements_together(connection: BaseDatabaseWrapper) -> bool:
    """Whether one execute may carry several statements (psycopg's client-side binding), each with its own result."""
    return connection.vendor == "postgresql"


def _joined(statements: Sequence[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    return ";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params]


@contextmanager
def write_behind() -> Iterator[None]:
    """Hold the block's `save_later`, `insert_later` and `execute_later` writes until the next statement sent."""
    if _held.get() is not None:
        yield
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("write_behind must run inside a transaction")
    held = _Held(connection)
    token = _held.set(held)
    try:
        with connection.execute_wrapper(held.carry):
            try:
                yield
            except DatabaseError:
                held.statements = []
                raise
            except BaseException:
                held.send()
                raise
            held.send()
    finally:
        _held.reset(token)


def execute_later(sql: str, params: list[Any]) -> None:
    """Hold a statement that returns nothing (`%s` placeholders); outside `write_behind`, send it now."""
    held = _held.get()
    if held is None:
        with transaction.get_connection().cursor() as cursor:
            cursor.execute(sql, params)
    else:
        held.statements.append((sql, params))


def _has_save_receivers(model: type[models.Model]) -> bool:
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


# The statements are built once per database vendor (the cache key), whose quoting they use.
@functools.cache
def _update_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> tuple[str, list[models.Field]]:
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = transaction.get_connection().ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names
    return sql, fields


@functools.cache
def _insert_sql(model: type[models.Model], rows: int, vendor: str) -> tuple[str, list[models.Field]]:
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    quote = transaction.get_connection().ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", fields  # noqa: S608 - names


def save_later(instance: models.Model, update_fields: Sequence[str]) -> None:
    """`instance.save(update_fields=...)`, held: the fields' UPDATE waits for the next statement. The row must exist
    and be locked by the transaction (nothing checks that the update found it)."""
    if _held.get() is None or _has_save_receivers(type(instance)):
        instance.save(update_fields=update_fields)
        return
    connection = transaction.get_connection()
    sql, fields = _update_sql(type(instance), tuple(update_fields), connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    execute_later(sql, [*params, instance.pk])


def insert_later(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert new rows of `model` in one statement, held. The instances get no primary key, so this is for rows
    nothing refers to in the block; outside `write_behind`, it is `bulk_create` (or `save` with signal receivers)."""
    if not instances:
        return
    if _has_save_receivers(model):
        for instance in instances:
            instance.save(force_insert=True)
    elif _held.get() is None:
        model.objects.bulk_create(instances)
    else:
        connection = transaction.get_connection()
        sql, fields = _insert_sql(model, len(instances), connection.vendor)
        execute_later(
            sql, [f.get_db_prep_save(f.pre_save(instance, True), connection) for instance in instances for f in fields]
        )
