"""Voucher codes and guessing: counters by address or user (those of core.throttle), and
one answer for a voucher that is used up and one that does not exist."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from marktplatz.core.throttle import count_attempt, over_limit
from marktplatz.vouchers.errors import VoucherInsufficient, VoucherNotFound

logger = logging.getLogger("marktplatz.vouchers.guessing")

__all__ = ["count_attempt", "logger", "over_limit", "used_up_as_unknown"]


@contextmanager
def used_up_as_unknown() -> Iterator[None]:
    """A voucher with nothing left answers like an unknown code (VoucherNotFound).

    Telling "used up" from "unknown" would tell a guesser which codes once existed.
    """
    try:
        yield
    except VoucherInsufficient as error:
        if error.details.get("balance") == 0:
            raise VoucherNotFound() from None
        raise
