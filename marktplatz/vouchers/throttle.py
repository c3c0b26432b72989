"""Throttling voucher-code guesses: attempts per scope (an address, a till) and window."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger("marktplatz.vouchers.guessing")


def over_limit(scope: str, limit: int) -> bool:
    """Whether ``scope`` has used up its attempts (without counting one)."""
    return (cache.get(f"throttle:{scope}") or 0) >= limit


def count_attempt(scope: str, window: int) -> None:
    key = f"throttle:{scope}"
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, window)
