"""Invoices against their standards: the Factur-X XML passes the EN 16931 schematron
(Saxon-HE running the Factur-X 1.0 EN 16931 XSLT) without a single finding, warnings
included; the PDF is PDF/A-3B with the XML as its associated file; the printed page
names number, date, sender and recipient."""

import dataclasses
import datetime as dt
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from marktplatz.core.invoices import (
    Invoice,
    InvoiceLine,
    Party,
    invoice_pdf,
    invoice_xml,
    payment_reference,
)
from marktplatz.testing.einvoice import attached_xml, pdfa3_problems, schematron_report

IBAN = "DE89370400440532013000"


def invoice(**changes) -> Invoice:
    fields = {
        "number": "G-2026-000042",
        "issued": dt.date(2026, 11, 2),
        "due": dt.date(2026, 11, 16),
        "currency": "EUR",
        "seller": Party(
            "Stadtmarketing Altdorf GmbH", "Markt 1", "79600", "Altdorf", "DE",
            registration_id="HRB 4711, AG Freiburg",
        ),
        "buyer": Party("Erika Muster", "Lindenweg 3", "79600", "Altdorf", "DE", "e@example.org"),
        "iban": IBAN,
        "bic": "COBADEFFXXX",
        "reference": payment_reference(number=42, iban=IBAN),
        "lines": [InvoiceLine("Stadtgutschein", 2, 2500)],
        "title": "Rechnung",
        "note": "Die Gutscheine kommen per E-Mail.",
    }  # fmt: skip
    fields.update(changes)
    return Invoice(**fields)


def test_a_transfer_invoice_passes_the_schematron_without_findings():
    assert schematron_report(invoice_xml(invoice())) == []


def test_a_statement_with_credits_collected_by_direct_debit_passes_the_schematron():
    debit = invoice(
        lines=[
            InvoiceLine("Punkte eingelöst", -1, 830),
            InvoiceLine("Monatsgebühr", 1, 1500),
            InvoiceLine("Punkte ausgegeben", 1, 1200),
        ],
        collection_date=dt.date(2026, 11, 20),
        mandate="MP-ABC123",
        creditor_id="DE98ZZZ09999999999",
        debtor_iban="DE02120300000000202051",
    )
    assert debit.total_minor == 1870
    assert schematron_report(invoice_xml(debit)) == []


def test_without_a_seller_identifier_the_schematron_reports_br_co_26():
    anonymous = Party("Stadtmarketing Altdorf GmbH", "Markt 1", "79600", "Altdorf", "DE")
    findings = schematron_report(invoice_xml(invoice(seller=anonymous)))
    assert [(f.rule, f.flag) for f in findings] == [("BR-CO-26", "fatal")]
    # Such an invoice is not sent as an e-invoice: no XML that would fail.
    pdf = invoice_pdf(invoice(seller=anonymous), e_invoice=True)
    assert PdfReader(io.BytesIO(pdf)).attachments == {}
    assert pdfa3_problems(pdf, facturx=False) == []


@pytest.mark.parametrize("currency", ["EUR", "CHF"])
def test_the_e_invoice_pdf_is_pdfa3_with_the_xml_attached(currency):
    iban = IBAN if currency == "EUR" else "CH4431999123000889012"
    one = invoice(currency=currency, iban=iban, reference=payment_reference(number=42, iban=iban))
    pdf = invoice_pdf(one, e_invoice=True)
    assert pdfa3_problems(pdf) == []
    assert attached_xml(pdf) == invoice_xml(one)


def test_the_printed_invoice_names_number_date_sender_and_recipient():
    many = invoice(lines=[InvoiceLine(f"Gutschein {n}", 1, 1000) for n in range(40)])
    with translation.override("de"):
        pdf = invoice_pdf(many)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2  # forty lines do not fit on one page: nothing is cut off
    text = "\n".join(page.extract_text() for page in pages).replace("\xa0", " ")
    for expected in (
        "Rechnungsnummer", "G-2026-000042", "Datum", "02.11.2026", "Zahlbar bis", "16.11.2026",
        "Stadtmarketing Altdorf GmbH", "Markt 1", "79600 Altdorf", "HRB 4711, AG Freiburg",
        "IBAN DE89 3704 0044 0532 0130 00", "Erika Muster", "Lindenweg 3",
        "Gutschein 39", "400,00 €",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Einzug" not in text
    assert "Rechnung G-2026-000042, Seite 2" in pages[1].extract_text()  # page 2 says whose


def test_a_direct_debit_invoice_says_when_it_is_collected_and_shows_no_transfer_slip():
    debit = invoice(
        collection_date=dt.date(2026, 11, 20),
        mandate="MP-ABC123",
        creditor_id="DE98ZZZ09999999999",
        debtor_iban="DE02120300000000202051",
    )
    with translation.override("de"):
        text = PdfReader(io.BytesIO(invoice_pdf(debit))).pages[0].extract_text()
    assert "Einzugsdatum" in text and "20.11.2026" in text and "MP-ABC123" in text
    assert "GiroCode" not in text and "überweisen" not in text


def test_a_swiss_invoice_prints_in_the_readers_language_slip_included():
    iban = "CH4431999123000889012"
    swiss = invoice(currency="CHF", iban=iban, reference=payment_reference(number=42, iban=iban))
    with translation.override("fr"):
        text = PdfReader(io.BytesIO(invoice_pdf(swiss))).pages[0].extract_text()
    assert "Numéro de facture" in text and "Section paiement" in text and "Récépissé" in text
    assert "Zahlteil" not in text
    assert "00 00000 00000 00000 00000 00420" in text.replace("\xa0", " ")  # grouped


def test_the_towns_logo_heads_the_invoice_and_it_stays_pdfa3():
    from PIL import Image

    logo = io.BytesIO()
    Image.new("RGBA", (240, 80), (11, 110, 79, 255)).save(logo, "PNG")
    seller = Party("Stadtmarketing Altdorf GmbH", "Markt 1", "79600", "Altdorf", "DE",
                   registration_id="HRB 4711, AG Freiburg", logo=logo.getvalue(),
                   colour="#0b6e4f")  # fmt: skip
    pdf = invoice_pdf(invoice(seller=seller), e_invoice=True)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    sizes = sorted((image.image.width, image.image.height) for image in page.images)
    assert (240, 80) in sizes  # the logo, beside the GiroCode
    assert b"0.0431 0.4314 0.3098 rg" in page_contents(pdf)  # the town colour fills the band
    assert pdfa3_problems(pdf) == []
    broken = invoice_pdf(invoice(seller=dataclasses.replace(seller, logo=b"not an image")))
    assert "Stadtmarketing Altdorf GmbH" in PdfReader(io.BytesIO(broken)).pages[0].extract_text()


def page_contents(pdf: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    return b"".join(page.get_contents().get_data() for page in reader.pages)
