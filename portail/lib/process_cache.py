"""A value read from a few rarely-changing rows, kept in this process's memory for a short
while instead of read again on every page (the town's settings row, the CGU version in force).

Each process has its own copy, so several nodes never share stale state for long: a change
made by another process shows here within ``seconds``; a change saved or deleted through this
process's models forgets the copy at once (``post_save``, ``post_delete``), as does a flush of
the database (``post_migrate``, which the tests' flush sends). Inside a transaction the copy is
neither used nor filled: the transaction may see rows that are not committed yet, or will be
rolled back."""

import threading
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_migrate, post_save


class ProcessCache:
    """``get()`` returns ``load()``'s value, read again after ``seconds`` or sooner when one of
    ``models`` changes; ``load`` may return ``(value, expires_in)`` through ``expiry`` to end
    the copy earlier (a CGU version published at a future time)."""

    def __init__(
        self,
        load: Callable,
        *,
        seconds: float,
        models: list,
        expiry: Callable | None = None,
    ):
        self._load = load
        self._seconds = seconds
        self._expiry = expiry
        self._entry = None  # (value, monotonic time it expires at)
        self._generation = 0  # moves on each change: a load that began before is not kept
        self._lock = threading.Lock()
        for model in models:
            post_save.connect(self._forget, sender=model, weak=False)
            post_delete.connect(self._forget, sender=model, weak=False)
        post_migrate.connect(self._forget, weak=False)

    def get(self):
        if connection.in_atomic_block:
            return self._load()
        entry = self._entry
        now = time.monotonic()
        if entry is not None and now < entry[1]:
            return entry[0]
        generation = self._generation
        value = self._load()
        lifetime = self._seconds
        if self._expiry is not None:
            lifetime = min(lifetime, self._expiry(value))
        with self._lock:
            if generation == self._generation:
                self._entry = (value, now + lifetime)
        return value

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._entry = None

    def _forget(self, **_kwargs) -> None:
        # Now, and again once the change is committed: another thread may read the row
        # between the save and the commit, and keep the old one.
        self.forget()
        transaction.on_commit(self.forget)
