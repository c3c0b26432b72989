"""Throttling guesses: attempts counted per scope (an address, a user, a merchant) and window.

The counters live in the cache (Redis in production, shared by every app server). A
counter starts with the first attempt and is forgotten ``window`` seconds later.

``merchant_guard`` is the one throttle for codes typed or scanned at a business: unknown
cards, vouchers and reward codes are counted per merchant, all its tills (API keys and
the till pages) together, so a second key or the browser is no way around it. While a
merchant is over the limit every lookup of a code is refused, known or not: answering
known codes would tell a guesser which of its guesses exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("marktplatz.guessing")


class TooManyAttempts(Exception):
    code = "too_many_attempts"
    status = 429
    default_message = _("Too many attempts. Please try again in a few minutes.")

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        self.message = self.default_message
        super().__init__(str(self.message))


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


@contextmanager
def merchant_guard(
    *, merchant_id: int, misses: tuple[type[BaseException], ...], label: str = ""
) -> Iterator[None]:
    """Run a lookup of a card, voucher or reward code typed or scanned at a business.

    Raises TooManyAttempts (before the block runs) while the merchant has used up its
    misses; counts a miss when the block raises one of ``misses`` (which propagates).
    """
    scope = f"guess:merchant:{merchant_id}"
    window = settings.GUESS_WINDOW_SECONDS
    if over_limit(scope, settings.GUESS_LIMIT):
        logger.warning("code guessing throttled at merchant %s (%s)", merchant_id, label)
        raise TooManyAttempts(retry_after=window)
    try:
        yield
    except misses:
        count_attempt(scope, window)
        logger.info("unknown code at merchant %s (%s)", merchant_id, label)
        raise
