"""Texts stored at one time in one language are shown in the reader's language; money is
written one way for every language and country; German says "Sie"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.template import Context, Template
from django.utils import translation

from marktplatz.core.money import babel_locale, format_money
from marktplatz.loyalty import services as loyalty
from marktplatz.purses import services as purses
from marktplatz.vouchers.models import VoucherProduct

LANGUAGES = ("de", "en", "fr", "it")


def test_a_welcome_bonus_booked_in_german_reads_in_french(client, dave, town_a, alice):
    with translation.override("de"):
        member = loyalty.member_for_user(city=town_a, user=dave)  # the welcome bonus
        loyalty.points_adjust(member=member, points=5, reason="Stadtfest 2026", actor=alice)
    assert member.bookings.get(kind="bonus").reason == "Willkommensbonus"
    client.force_login(dave)
    client.cookies["mp_language"] = "fr"
    page = client.get("/altdorf/card/").content.decode()
    assert "Bonus de bienvenue" in page
    assert "Willkommensbonus" not in page
    # The operator's own reason for a correction is shown as the operator wrote it.
    assert "Stadtfest 2026" in page
    client.cookies["mp_language"] = "it"
    assert "Bonus di benvenuto" in client.get("/altdorf/card/").content.decode()


def test_built_in_and_unnamed_voucher_products_are_named_in_the_readers_language(town_a, town_b):
    with translation.override("de"):
        benefit = purses.benefit_product(city=town_a)
    german_name = benefit.name  # stored in the language active when it was made
    fixed = VoucherProduct.objects.create(city=town_b, name="", value_minor=2500)
    free = VoucherProduct.objects.create(city=town_b, name="", kind="free")
    own = VoucherProduct.objects.create(city=town_b, name="Bergdorfer Taler", value_minor=1000)
    with translation.override("it"):
        assert benefit.display_name == "Benefit aziendale" != german_name
        assert fixed.display_name == "Buono della città CHF\xa025.00"
        assert free.display_name == "Buono della città, importo a scelta"
        assert own.display_name == "Bergdorfer Taler"  # the operator's own text
    with translation.override("fr"):
        assert benefit.display_name == "Avantage employeur"
        assert str(fixed) == "Bon de la ville 25,00\xa0CHF"


def test_the_voucher_pages_name_unnamed_products_in_the_readers_language(client, alice, town_a):
    town_a.bank_account_holder, town_a.bank_iban = "Stadtkasse", "DE89370400440532013000"
    town_a.save()
    VoucherProduct.objects.create(city=town_a, name="", value_minor=2500)
    client.force_login(alice)
    client.cookies["mp_language"] = "fr"
    page = client.get("/altdorf/operator/vouchers/").content.decode()
    assert "Bon de la ville 25,00\xa0€" in page
    shop = client.get("/altdorf/vouchers/buy/").content.decode()
    assert "Bon de la ville 25,00\xa0€" in shop


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("country", ["DE", "CH", "AT", "FR", "IT", "LI"])
@pytest.mark.parametrize("currency", ["EUR", "CHF"])
def test_money_is_written_for_every_language_and_country(language, country, currency):
    text = format_money(-123456, currency, f"{language}_{country}")
    marks = {"EUR": ("€", "EUR"), "CHF": ("CHF",)}
    mine, other = marks[currency], marks["CHF" if currency == "EUR" else "EUR"]
    # The sign or the code of the currency, once (de_CH writes EUR-1’234.56); never both.
    assert sum(text.count(mark) for mark in mine) == 1, text
    assert not any(mark in text for mark in other), text
    assert re.sub(r"\D", "", text) == "123456"


def test_a_language_without_the_towns_country_is_written_as_in_its_own_country():
    assert babel_locale("fr", "DE") == "fr"  # Babel has no fr_DE
    assert babel_locale("it", "DE") == "it"
    assert babel_locale("de", "CH") == "de_CH"
    assert babel_locale("fr-ch", "ch") == "fr_CH"
    assert format_money(123450, "EUR", "fr_DE") == "1\u202f234,50\xa0€"
    assert format_money(123450, "EUR", "it_DE") == "1.234,50\xa0€"


def test_an_amount_in_another_currency_carries_that_currency_only(town_a):
    template = Template("{% load marktplatz %}{% money_in cents currency %}")
    for language in LANGUAGES:
        with translation.override(language):
            text = template.render(Context({"cents": 10000, "currency": "CHF", "city": town_a}))
        assert "CHF" in text and "€" not in text, (language, text)


INFORMAL = re.compile(
    r"\b(du|dein|deine|deinen|deinem|deiner|deines|dich|dir|euch|euer|eure)\b", re.IGNORECASE
)


def test_the_german_catalog_says_sie_throughout():
    path = Path(__file__).resolve().parents[1] / "locale" / "de" / "LC_MESSAGES" / "django.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    informal = []
    for message in catalog:
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        informal += [text for text in texts if text and INFORMAL.search(text)]
    assert informal == []


def test_the_german_account_e_mails_say_sie(client, dave, town_a):
    from django.core import mail

    client.cookies["mp_language"] = "de"
    client.post("/altdorf/accounts/password/reset/", {"email": dave.email})
    client.post(
        "/altdorf/accounts/signup/",
        {"email": dave.email, "password1": "a long new password 1", "password2": "x"},
    )
    client.post(
        "/altdorf/accounts/signup/",
        {
            "email": "new-person@example.org",
            "password1": "a long new password 1",
            "password2": "a long new password 1",
        },
    )
    assert len(mail.outbox) >= 2
    assert all(" Sie " in message.body for message in mail.outbox)  # German, formal
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert not INFORMAL.search(text), text
