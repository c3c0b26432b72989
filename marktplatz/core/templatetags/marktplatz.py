"""Template filters for locale-aware money and numbers: {{ cents|money:city }}."""

from django import template
from django.conf import settings
from django.utils.translation import get_language

from marktplatz.core.money import format_money, format_number

register = template.Library()


def _locale(city) -> str:
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    country = getattr(city, "country", "") or ""
    return f"{language}_{country}" if country else language


@register.filter
def money(amount_minor, city):
    """Integer minor units in the town's currency, formatted for language and country."""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), city.currency, _locale(city))


@register.filter
def number(value, city=None):
    if value is None or value == "":
        return ""
    return format_number(value, _locale(city))
