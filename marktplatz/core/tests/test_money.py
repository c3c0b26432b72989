from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from marktplatz.cities.models import City
from marktplatz.core.money import format_money, to_major


def test_it_converts_minor_units_exactly():
    assert to_major(1234, "EUR") == Decimal("12.34")
    assert to_major(-5, "CHF") == Decimal("-0.05")
    with pytest.raises(TypeError):
        to_major(12.34, "EUR")


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [
        ("de_DE", "EUR", "1.234,50\xa0€"),
        ("de_CH", "CHF", "CHF\xa01’234.50"),
        ("fr_CH", "CHF", "1\u202f234,50\xa0CHF"),
        ("en_DE", "EUR", "1.234,50\xa0€"),
        ("it_CH", "CHF", "CHF\xa01’234.50"),
    ],
)
def test_it_formats_money_for_the_locale(locale, currency, expected):
    assert format_money(123450, currency, locale) == expected


def test_it_formats_in_templates_for_the_town_and_language():
    town = City(name="Bergdorf", slug="b", country="CH", currency="CHF")
    template = Template("{% load marktplatz %}{{ cents|money:city }} · {{ n|number:city }}")
    with translation.override("de"):
        assert template.render(Context({"cents": 250075, "n": 12000, "city": town})) == (
            "CHF\xa02’500.75 · 12’000"
        )
    with translation.override("fr"):
        assert "2\u202f500,75\xa0CHF" in template.render(
            Context({"cents": 250075, "n": 1, "city": town})
        )
