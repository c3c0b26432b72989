"""Template filters for locale-aware money and numbers: {{ cents|money:city }}."""

import datetime as dt

from babel.numbers import format_percent
from django import template
from django.conf import settings
from django.utils.translation import get_language

from marktplatz.core.money import babel_locale, format_money, format_number

register = template.Library()


def _locale(city) -> str:
    """The page's language with the town's country, as a locale Babel knows (fr in a
    German town: fr, written as in France; Babel has no fr_DE)."""
    return babel_locale(get_language() or settings.LANGUAGE_CODE, getattr(city, "country", ""))


@register.filter
def money(amount_minor, city):
    """Integer minor units in the town's currency, formatted for language and country."""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), city.currency, _locale(city))


@register.simple_tag(takes_context=True)
def money_in(context, amount_minor, currency):
    """Minor units in another currency than the town's (a bank credit in CHF in a euro
    town): written with that currency's sign or code, once."""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), currency, _locale(context.get("city")))


@register.filter
def number(value, city=None):
    if value is None or value == "":
        return ""
    return format_number(value, _locale(city))


@register.filter
def percent(value, city=None):
    """A share (0.123) as a percentage with at most one decimal, written as the language
    writes it ("12,3 %" in German, "12.3%" in English)."""
    if value is None or value == "":
        return ""
    return format_percent(round(float(value), 3), locale=_locale(city), decimal_quantization=False)


@register.filter
def from_iso(value):
    """A moment written as ISO 8601 text (as events carry it) as a datetime, for ``date``."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
