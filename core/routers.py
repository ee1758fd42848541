"""Read replicas: reports and the API's read-only aggregate endpoints read from `replica` when one is configured
(DATABASE_REPLICA_URL); every write, and every other read, stays on `default`.

A router sees models, not requests: the views that may read a replica say so by running inside `replica_reads()`
(the `reads_replica` decorator). Inside it, reads go to `replica`; a write inside it still goes to `default` (and
Django then reads that model from `default` for the rest of the transaction it opened)."""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.conf import settings

_replica = contextvars.ContextVar("povreg_replica_reads", default=False)


@contextmanager
def replica_reads():
    token = _replica.set(True)
    try:
        yield
    finally:
        _replica.reset(token)


def reads_replica(view):
    """A view (function or a class-based view's method) whose reads may come from the replica."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _replica.get() and settings.POVREG_READ_REPLICA and "replica" in settings.DATABASES:
            return "replica"
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database and its copy

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
