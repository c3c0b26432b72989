"""Money is an integer amount of minor units (cents, Rappen) plus a currency; never a float."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_currency_precision


def to_major(amount_minor: int, currency: str) -> Decimal:
    """1234 EUR cents → Decimal('12.34'), exactly."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("money amounts are integers of minor units")
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Format for a locale such as de_DE (1.234,50 €) or de_CH (CHF 1’234.50)."""
    return format_currency(to_major(amount_minor, currency), currency, locale=locale)


def format_number(value: int | Decimal, locale: str) -> str:
    return format_decimal(value, locale=locale)
