"""Tables kept in each process behind a one-row stamp: the org chart (`cases.org`) and the working calendar
(`workflows.calendar`), read on nearly every act and changed a few times a year.

Every write to the tables sets the stamp to a fresh random value (never a counter, so that the stamp of a
rolled-back change never comes back). A process keeps what it read under a stamp and reads the tables again only when
the stamp has changed: one query while they are unchanged. The stamp is read before the tables, so what is kept is at
least as new as its stamp says.

A block that changes none of the tables (a step of a case, a page) can pin them: its first read fixes them, and
later reads in the block ask for no stamp.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Pin(Generic[T]):
    """What a block uses throughout: None until its first read, which calls `fill` (if given) to fix it along with
    other kept tables, or else reads the stamp."""

    value: T | None = None
    fill: Callable[[], None] | None = None


class KeptTables(Generic[T]):
    def __init__(self, name: str, *, read_stamp: Callable[[], uuid.UUID | None], load: Callable[[], T]) -> None:
        self._read_stamp = read_stamp
        self._load = load
        self._loaded: tuple[uuid.UUID, T] | None = None
        self._pin: ContextVar[_Pin[T] | None] = ContextVar(f"{name}_pin", default=None)

    def current(self) -> T:
        """The tables as they are now; inside `pinned`, as the block's first read found them."""
        pin = self._pin.get()
        if pin is not None and pin.value is None and pin.fill is not None:
            pin.fill()
        if pin is not None and pin.value is not None:
            return pin.value
        value = self.under(self._read_stamp())
        if pin is not None:
            pin.value = value
        return value

    def under(self, stamp: uuid.UUID | None) -> T:
        """The tables kept under `stamp`, just read (None: there is no stamp row, so nothing is kept)."""
        loaded = self._loaded
        if stamp is not None and loaded is not None and loaded[0] == stamp:
            return loaded[1]
        value = self._load()
        if stamp is not None:
            self._loaded = (stamp, value)
        return value

    @contextmanager
    def pinned(self, *, fill: Callable[[], None] | None = None) -> Iterator[None]:
        """Use one version of the tables throughout the block: the one its first read finds, or `fill` fixes with
        `pin`. Nested blocks keep the outer block's."""
        if self._pin.get() is not None:
            yield
            return
        token = self._pin.set(_Pin(fill=fill))
        try:
            yield
        finally:
            self._pin.reset(token)

    def pin(self, value: T) -> None:
        """Fix the running block's version, unless a read already did."""
        pin = self._pin.get()
        if pin is not None and pin.value is None:
            pin.value = value
