"""Database routing for a deployment with a read replica (DATABASE_REPLICA_URL): report queries that tolerate a
replica's lag read from it inside `reading_replica()`; everything else, and every write, uses the primary."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.conf import settings

_replica = contextvars.ContextVar("cepat_reading_replica", default=False)

REPLICA = "replica"


@contextlib.contextmanager
def reading_replica() -> Iterator[None]:
    """Reads inside this block go to the replica when one is configured (for read-only reports)."""
    token = _replica.set(True)
    try:
        yield
    finally:
        _replica.reset(token)


class ReportsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if _replica.get() and REPLICA in settings.DATABASES else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication
