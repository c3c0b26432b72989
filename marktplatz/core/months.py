"""Calendar months as the date of their first day."""

from __future__ import annotations

import datetime as dt


def month_before(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s month (2026-03-15 → 2026-02-01)."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
