"""Every CSV download goes through here, in one of two formats:

- ``excel``: what Excel opens correctly with a double click in a German, French or Italian
  setting: UTF-8 with a byte order mark, fields separated by ";", amounts in currency
  units with the locale's decimal sign ("12,50"; "12.50" in Swiss German and Italian),
  times as local date and time of the town ("02.12.2026 14:05:00"). Text that a
  spreadsheet would run as a formula (=, +, -, @ at the start) is quoted with "'".
- ``plain``: RFC 4180: UTF-8 without BOM, ",", CRLF, amounts with a decimal point,
  times in ISO 8601 with their UTC offset; for programs.

``excel`` is the default in towns whose language is German, French or Italian; a
download link may ask for either with ``?format=excel`` or ``?format=plain``.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import get_decimal_symbol
from django.http import HttpResponse
from django.utils import translation

from marktplatz.core.money import babel_locale, to_major

EXCEL, PLAIN = "excel", "plain"
FORMATS = (EXCEL, PLAIN)
BOM = "\ufeff"
DATE_PATTERNS = {"de": "%d.%m.%Y %H:%M:%S", "fr": "%d/%m/%Y %H:%M:%S", "it": "%d/%m/%Y %H:%M:%S"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Number(str):
    """A cell that is a number as written by ``CsvExport``: never quoted as a formula."""


def csv_format(*, requested: str | None, city) -> str:
    """The asked-for format, else the town's default (Excel for de/fr/it towns)."""
    if requested in FORMATS:
        return requested
    return EXCEL if (city.default_language or "de")[:2] in ("de", "fr", "it") else PLAIN


class CsvExport:
    """A CSV download: ``export.row([...])`` per line, then ``export.response``."""

    def __init__(self, *, city, filename: str, format: str, language: str | None = None):
        self.city, self.format = city, format
        self.language = (language or translation.get_language() or "de")[:2]
        self.zone = ZoneInfo(city.time_zone)
        self.response = HttpResponse(content_type="text/csv; charset=utf-8")
        self.response["Content-Disposition"] = f'attachment; filename="{filename}"'
        if format == EXCEL:
            self.response.write(BOM)
            self._writer = csv.writer(self.response, delimiter=";", lineterminator="\r\n")
            self._decimal = get_decimal_symbol(babel_locale(self.language, city.country))
        else:
            self._writer = csv.writer(self.response, delimiter=",", lineterminator="\r\n")
            self._decimal = "."

    def money(self, amount_minor: int | None) -> Number | str:
        """An amount of minor units in the town's currency, in currency units: 12,50."""
        if amount_minor is None:
            return ""
        return self.number(to_major(int(amount_minor), self.city.currency))

    def number(self, value: int | Decimal) -> Number:
        text = str(value)
        return Number(text.replace(".", self._decimal) if self._decimal != "." else text)

    def when(self, moment: dt.datetime | None) -> str:
        """A moment as the town's local time."""
        if moment is None:
            return ""
        local = moment.astimezone(self.zone)
        if self.format == PLAIN:
            return local.isoformat(timespec="seconds")
        return local.strftime(DATE_PATTERNS.get(self.language, "%Y-%m-%d %H:%M:%S"))

    def _cell(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, Number):
            return str(value)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | Decimal):
            return self.number(value)
        text = str(value)
        if self.format == EXCEL and text.startswith(FORMULA_START):
            return "'" + text
        return text

    def row(self, values: list) -> None:
        self._writer.writerow([self._cell(value) for value in values])
