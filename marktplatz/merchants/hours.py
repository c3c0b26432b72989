"""Opening hours: per weekday a list of (opens, closes) in the town's local time.

Stored as JSON ``{"mon": [["09:00", "12:30"], ["14:00", "18:30"]], "sun": []}`` and
typed by people as ``09:00-12:30, 14:00-18:30`` per day (empty means closed).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_NAMES = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
_INTERVAL = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_day(text: str) -> list[list[str]]:
    """Parse ``"09:00-12:30, 14:00-18:30"``; raise ValidationError with a readable reason."""
    text = text.strip()
    if not text:
        return []
    intervals: list[list[str]] = []
    for part in text.split(","):
        match = _INTERVAL.match(part)
        if not match:
            raise ValidationError(
                _("Write times like 09:00-12:30, 14:00-18:30 (“%(part)s” is not).")
                % {"part": part.strip()}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValidationError(_("“%(part)s” is not a time of day.") % {"part": part.strip()})
        opens, closes = f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"
        if closes <= opens:
            raise ValidationError(_("“%(part)s” closes before it opens.") % {"part": part.strip()})
        if intervals and opens < intervals[-1][1]:
            raise ValidationError(_("The times of one day must not overlap and must be in order."))
        intervals.append([opens, closes])
    return intervals


def format_day(intervals: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in intervals)


def hours_rows(hours: dict) -> list[tuple[str, str]]:
    """(weekday name, its hours as text) for each day, Monday first, to show a week."""
    return [(WEEKDAY_NAMES[day], format_day(hours.get(day, []))) for day in WEEKDAYS]


def validate_hours(value: object) -> None:
    if not isinstance(value, dict) or set(value) - set(WEEKDAYS):
        raise ValidationError(_("Opening hours must name weekdays mon … sun."))
    for day in WEEKDAYS:
        parse_day(format_day(value.get(day, [])))


def is_open_at(hours: dict, moment: dt.datetime) -> bool:
    """Whether the hours are open at the given local (town time) moment."""
    day = WEEKDAYS[moment.weekday()]
    now = moment.strftime("%H:%M")
    return any(opens <= now < closes for opens, closes in hours.get(day, []))
