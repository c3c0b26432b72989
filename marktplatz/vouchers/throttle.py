"""Throttling voucher-code guesses by address or user (the counters of core.throttle)."""

from __future__ import annotations

import logging

from marktplatz.core.throttle import count_attempt, over_limit

logger = logging.getLogger("marktplatz.vouchers.guessing")

__all__ = ["count_attempt", "logger", "over_limit"]
