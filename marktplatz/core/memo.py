"""A small in-process cache for rows that are read on every request and rarely change
(towns, ledgers, earning rules). Entries live ``ttl`` seconds; a save in this process
forgets them at once, other app servers see the change within ``ttl``.

Values are shared between requests and threads: callers must treat them as read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

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
    if len(_store) >= PRUNE_ABOVE:
        for stale in [k for k, (expires, _v) in list(_store.items()) if expires <= now]:
            _store.pop(stale, None)
    _store[key] = (now + ttl, value)
    return value


def forget(namespace: Hashable) -> None:
    """Forget every entry whose key starts with ``namespace``."""
    for key in [k for k in list(_store) if k and k[0] == namespace]:
        _store.pop(key, None)


def forget_entry(key: tuple[Hashable, ...]) -> None:
    _store.pop(key, None)


def forget_all() -> None:
    _store.clear()
