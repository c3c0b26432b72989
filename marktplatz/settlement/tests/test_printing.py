"""The monthly statement as a town sends it: letterhead (name, address, bank), the
business's address, the statement's number, date and month, its lines and balance."""

import io
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from pypdf import PdfReader

from marktplatz.settlement import payments, services
from marktplatz.settlement.models import Statement
from marktplatz.settlement.printing import statement_number, statement_pdf
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.settlement.views import _labelled
from marktplatz.testing import factories
from marktplatz.testing.einvoice import attached_xml, pdfa3_problems, schematron_report


def test_the_statement_pdf_names_number_date_sender_and_recipient(
    town_a, shop_a, activity, month_over
):
    town_a.bank_account_holder = "Stadtmarketing Altdorf GmbH"
    town_a.bank_iban = "DE89370400440532013000"
    town_a.postal_street, town_a.postal_code, town_a.postal_town = "Markt 1", "79600", "Altdorf"
    town_a.save()
    shop_a.street, shop_a.postcode, shop_a.locality = "Mühlenweg 4", "79601", "Altdorf-Süd"
    shop_a.save()
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    statement = Statement.objects.get(merchant=shop_a)
    with translation.override("de"):
        pdf = statement_pdf(statement=statement, lines=_labelled(statement))
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\xa0", " ")
    number = statement_number(statement)
    assert number.startswith(f"S-{THIS_MONTH:%Y-%m}-")
    created = statement.created_at.astimezone(ZoneInfo(town_a.time_zone))
    for expected in (
        "Abrechnungsnummer", number, "Datum", f"{created:%d.%m.%Y}", f"{THIS_MONTH:%m/%Y}",
        "Stadtmarketing Altdorf GmbH", "Markt 1", "79600 Altdorf", "IBAN DE89 3704 0044 0532 0130 00",
        shop_a.name, "Mühlenweg 4", "79601 Altdorf-Süd", "Guthaben",
    ):  # fmt: skip
        assert expected in text, expected


@pytest.mark.parametrize("direct_debit", [False, True])
def test_the_statement_invoice_passes_the_en16931_schematron_and_is_pdfa3(
    town_a, shop_a, activity, month_over, direct_debit
):
    town_a.bank_account_holder = "Stadtmarketing Altdorf GmbH"
    town_a.bank_iban, town_a.bank_bic = "DE89370400440532013000", "COBADEFFXXX"
    town_a.postal_street, town_a.postal_code, town_a.postal_town = "Markt 1", "79600", "Altdorf"
    town_a.sepa_creditor_id = "DE98ZZZ09999999999" if direct_debit else ""
    town_a.save()
    owing = factories.merchant(city=town_a, name="Laden am Markt")  # the monthly fee only
    owing.iban, owing.account_holder = "DE02120300000000202051", "Laden am Markt OHG"
    owing.save()
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    statement = Statement.objects.get(merchant=owing)
    assert statement.net_minor < 0
    with translation.override("de"):
        pdf = payments.statement_invoice_pdf(statement=statement, lines=_labelled(statement))
    xml = attached_xml(pdf)
    assert schematron_report(xml) == []  # EN 16931, warnings included
    assert pdfa3_problems(pdf) == []
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert statement_number(statement) in text and "Laden am Markt OHG" in text
