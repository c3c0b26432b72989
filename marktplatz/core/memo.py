"""A small in-process cache for rows that are read on every request and rarely change
(towns, ledgers, earning rules). Entries live ``ttl`` seconds; a save in this process
forgets them at once, other app servers see the change within ``ttl``.

Values are shared between requests and threads: callers must treat them as read-only.

A value computed inside a database transaction is kept only once that transaction
commits: a row created by it (an account opened on first use, say) disappears with a
rollback, and its primary key may be given to another row next; a memo that outlived it
would book on the wrong account.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")
_store: dict[tuple, tuple[float, object]] = {}
# Keys can come from requests (host names): past this size, expired entries are dropped.
PRUNE_ABOVE = 5000


def remember(key: tuple[Hashable, ...], ttl: float, compute: Callable[[], T]) -> T:
    now = time.monotonic()
    hit = _store.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]  # type: ignore[return-value]
    value = compute()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _keep(key, ttl, value))
    else:
        _keep(key, ttl, value)
    return value


def _keep(key: tuple[Hashable, ...], ttl: float, value: object) -> None:
    now = time.monotonic()
    if len(_store) >= PRUNE_ABOVE:
        for stale in [k for k, (expires, _v) in list(_store.items()) if expires <= now]:
            _store.pop(stale, None)
    _store[key] = (now + ttl, value)


def forget(namespace: Hashable) -> None:
    """Forget every entry whose key starts with ``namespace``."""
    for key in [k for k in list(_store) if k and k[0] == namespace]:
        _store.pop(key, None)


def forget_entry(key: tuple[Hashable, ...]) -> None:
    _store.pop(key, None)


def forget_all() -> None:
    _store.clear()
