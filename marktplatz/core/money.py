"""Money is an integer amount of minor units (cents, Rappen) plus a currency; never a float."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, get_currency_precision
from django import forms
from django.utils.translation import gettext_lazy as _


def to_major(amount_minor: int, currency: str) -> Decimal:
    """1234 EUR cents → Decimal('12.34'), exactly."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("money amounts are integers of minor units")
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


@functools.lru_cache(maxsize=128)
def babel_locale(language: str, country: str = "") -> str:
    """A locale Babel knows for any page language × town country.

    ``fr`` in a German town (fr_DE) is no locale of the CLDR: numbers and money are then
    written as in the language's own country (fr → fr_FR). A language Babel does not know
    at all falls back to German, the platform's default."""
    language = (language or "de").replace("-", "_").split("_")[0].lower() or "de"
    country = (country or "").upper()
    for candidate in (f"{language}_{country}" if country else "", language, f"de_{country}"):
        if not candidate:
            continue
        try:
            return str(Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            continue
    return "de_DE"


def _valid(locale: str) -> str:
    language, _sep, country = (locale or "").replace("-", "_").partition("_")
    return babel_locale(language, country)


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """The one way money is written: de_DE 1.234,50 €, de_CH CHF 1’234.50, fr_DE 1 234,50 €.

    ``locale`` is language_COUNTRY of the page and the town (any pair: see babel_locale);
    the sign or code of ``currency`` appears once, never a sign beside another code."""
    return format_currency(to_major(amount_minor, currency), currency, locale=_valid(locale))


def format_number(value: int | Decimal, locale: str) -> str:
    return format_decimal(value, locale=_valid(locale))


def parse_money(text: str) -> int:
    """'12,50', '12.50' or '12' → 1250 cents; a clear error for anything else."""
    raw = (text or "").strip().replace("\u2019", "").replace("'", "").replace(" ", "")
    if "," in raw and "." in raw:
        raw = (
            raw.replace(".", "").replace(",", ".")
            if raw.rfind(",") > raw.rfind(".")
            else raw.replace(",", "")
        )
    else:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise forms.ValidationError(_("Enter an amount such as 12.50.")) from None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        raise forms.ValidationError(_("Enter an amount with at most two decimals."))
    if value <= 0:
        raise forms.ValidationError(_("The amount must be greater than zero."))
    return int(value * 100)


class MoneyField(forms.CharField):
    """An amount typed as 12,50 or 12.50, cleaned to minor units; ``zero_ok`` lets 0
    through (a fee that is not charged)."""

    def __init__(self, *, zero_ok: bool = False, **kwargs):
        self.zero_ok = zero_ok
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return f"{value / 100:.2f}".replace(".", ",") if isinstance(value, int) else value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if self.zero_ok and value.strip().replace(",", ".").strip("0.") == "":
            return 0
        return parse_money(value)
