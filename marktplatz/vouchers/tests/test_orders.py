"""Online voucher sale: an order by invoice (EPC QR or Swiss QR-bill, ZUGFeRD in Germany),
paid by the operator's hand or by a camt.053 statement; vouchers issued only then, once."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from drafthorse.models.document import Document
from pypdf import PdfReader

from marktplatz.core.camt import StatementError, statement_credits
from marktplatz.core.invoices import reference_in_text, reference_valid
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.settlement import bank
from marktplatz.settlement.services import money_check
from marktplatz.testing.camt import camt053
from marktplatz.testing.einvoice import pdfa3_problems, schematron_report
from marktplatz.vouchers import payments, services
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct

ORDER = {
    "product": None,
    "value": "",
    "quantity": "2",
    "buyer_name": "Erika Muster",
    "buyer_email": "erika@example.org",
    "buyer_street": "Lindenweg 3",
    "buyer_postcode": "79600",
    "buyer_town": "Altdorf",
    "provider": "transfer",
}


@pytest.fixture
def banked_a(town_a):
    town_a.bank_account_holder = "Stadtmarketing Altdorf"
    town_a.bank_iban = "DE89370400440532013000"
    town_a.bank_bic = "COBADEFFXXX"
    town_a.postal_street, town_a.postal_code, town_a.postal_town = "Markt 1", "79600", "Altdorf"
    town_a.save()
    return town_a


@pytest.fixture
def banked_b(town_b):
    town_b.bank_account_holder = "Bergdorf Tourismus"
    town_b.bank_iban = "CH4431999123000889012"  # a QR-IBAN: QR references
    town_b.postal_street, town_b.postal_code, town_b.postal_town = "Dorfplatz 2", "3000", "Bern"
    town_b.save()
    return town_b


@pytest.fixture
def product_a(banked_a):
    return VoucherProduct.objects.create(city=banked_a, name="Stadtgutschein", value_minor=2500)


def order_from(client, product, **changes):
    return client.post(
        f"/{product.city.slug}/vouchers/buy/", {**ORDER, "product": product.pk, **changes}
    )


def test_an_order_by_invoice_is_paid_by_a_bank_statement_and_the_vouchers_are_sent(
    client, product_a, banked_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = order_from(client, product_a)
    order = VoucherOrder.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{order.code}/")
    assert (order.total_minor, order.quantity, order.status) == (5000, 2, "pending")
    assert reference_valid(order.reference) and order.reference.startswith("RF")
    assert not Voucher.objects.exists(), "no value before the money is there"
    # The buyer has the invoice with the reference, and it is a valid ZUGFeRD invoice.
    (invoice_mail,) = mail.outbox
    assert order.reference in invoice_mail.body and "DE89370400440532013000" in invoice_mail.body
    _name, pdf, mime = invoice_mail.attachments[0]
    assert mime == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf))
    xml = reader.attachments["factur-x.xml"][0]
    assert schematron_report(xml) == []  # EN 16931, warnings included
    assert pdfa3_problems(pdf) == []
    parsed = Document.parse(xml)
    assert parsed.trade.settlement.monetary_summation.grand_total._amount == Decimal("50.00")
    assert str(parsed.trade.settlement.payment_reference) == order.reference
    page = client.get(response["Location"])
    assert order.reference in page.content.decode() and b"<svg" in page.content

    statement = camt053(
        [
            {"amount": 5000, "reference": order.reference, "payer": "Erika Muster"},
            {"amount": 1234, "text": "Miete November", "payer": "Someone"},
        ],
        iban=banked_a.bank_iban,
        currency="EUR",
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        results = bank.bank_statement_import(city=banked_a, data=statement, file_name="nov.xml")
    assert [r.outcome for r in results] == ["paid", "unmatched"]
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_amount_minor == 5000
    vouchers = list(order.vouchers.all())
    assert len(vouchers) == 2 and all(v.channel == "online" for v in vouchers)
    assert [services.balance_of(v) for v in vouchers] == [2500, 2500]
    (sent,) = mail.outbox
    assert all(v.secret in sent.body for v in vouchers) and len(sent.attachments) == 2
    # The same statement again: nothing changes.
    again = bank.bank_statement_import(city=banked_a, data=statement, file_name="nov.xml")
    assert [r.outcome for r in again] == ["already_paid", "unmatched"]
    assert Voucher.objects.count() == 2
    assert ledger_verify() == []
    assert money_check(city=banked_a) == []


def test_a_short_or_foreign_payment_does_not_pay_and_the_operator_can_mark_paid(
    client, alice, product_a, banked_a
):
    order_from(client, product_a, quantity="1")
    order = VoucherOrder.objects.get()
    short = camt053([{"amount": 2000, "reference": order.reference}], iban="x", currency="EUR")
    francs = camt053(
        [{"amount": 2500, "reference": order.reference, "currency": "CHF"}],
        iban="x",
        currency="EUR",
    )
    debit = camt053(
        [{"amount": 2500, "reference": order.reference, "direction": "DBIT"}],
        iban="x",
        currency="EUR",
    )
    assert [r.outcome for r in bank.bank_statement_import(city=banked_a, data=short,
                                                         file_name="a")] == ["short"]  # fmt: skip
    assert [r.outcome for r in bank.bank_statement_import(city=banked_a, data=francs,
                                                         file_name="b")] == ["currency"]  # fmt: skip
    assert bank.bank_statement_import(city=banked_a, data=debit, file_name="c") == []
    assert VoucherOrder.objects.get().status == "pending"
    client.force_login(alice)
    url = f"/altdorf/operator/voucher-orders/{order.code}/"
    refused = client.post(url, {"amount": "20,00"})
    assert "kleiner als die Bestellsumme" in refused.content.decode()
    assert not Voucher.objects.exists()
    client.post(url, {"amount": "25,00"})
    assert VoucherOrder.objects.get().status == "paid" and Voucher.objects.count() == 1
    client.post(url, {"amount": "25,00"})
    assert Voucher.objects.count() == 1, "marking paid twice issues nothing more"
    listing = client.get("/altdorf/operator/voucher-orders/?status=paid")
    assert order.reference in listing.content.decode()


def test_a_swiss_order_gets_a_qr_reference_and_a_qr_bill(client, banked_b):
    product = VoucherProduct.objects.create(city=banked_b, name="Dorfgutschein", value_minor=5000)
    order_from(client, product, quantity="1")
    order = VoucherOrder.objects.get()
    assert order.reference.isdigit() and len(order.reference) == 27
    pdf = client.get(f"/bergdorf/vouchers/orders/{order.code}/invoice.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Zahlteil" in text or "Payment part" in text  # the QR-bill's payment part


def test_bad_orders_are_refused_with_reasons(client, product_a, banked_a, town_b):
    free = VoucherProduct.objects.create(city=banked_a, name="Wunschbetrag", kind="free")
    assert "zwischen" in order_from(client, free, value="1,00").content.decode()
    assert order_from(client, product_a, quantity="0").status_code == 200
    assert order_from(client, product_a, quantity="21").status_code == 200
    assert order_from(client, product_a, buyer_email="nope").status_code == 200
    assert not VoucherOrder.objects.exists()
    # A town without a bank account offers no payment method.
    product_b = VoucherProduct.objects.create(city=town_b, name="Ohne Bank", value_minor=1000)
    assert payments.providers_for(city=town_b) == []
    assert b'name="provider"' not in client.get("/bergdorf/vouchers/buy/").content
    assert order_from(client, product_b).status_code == 200
    assert not VoucherOrder.objects.exists()


def test_an_unknown_order_is_404_and_another_towns_too(client, product_a, banked_b):
    order_from(client, product_a, quantity="1")
    order = VoucherOrder.objects.get()
    assert client.get(f"/altdorf/vouchers/orders/{order.code}/").status_code == 200
    assert client.get(f"/bergdorf/vouchers/orders/{order.code}/").status_code == 404
    assert client.get("/altdorf/vouchers/orders/nope/").status_code == 404


@pytest.mark.parametrize(
    "data",
    [b"not xml", b"<Document xmlns='urn:other'/>", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
)
def test_a_file_that_is_no_camt_statement_is_refused(data):
    with pytest.raises(StatementError):
        statement_credits(data)


def test_the_bank_import_page_reports_each_credit(client, alice, product_a, banked_a):
    order_from(client, product_a, quantity="1")
    order = VoucherOrder.objects.get()
    client.force_login(alice)
    statement = camt053(
        [{"amount": 2500, "reference": order.reference.lower()}], iban="x", currency="EUR"
    )
    page = client.post(
        "/altdorf/operator/bank/",
        {"statement": io.BytesIO(statement)},
        format="multipart",
    )
    assert page.status_code == 200 and 'data-outcome="paid"' in page.content.decode()
    bad = client.post("/altdorf/operator/bank/", {"statement": io.BytesIO(b"<x/>")})
    assert "camt.053" in bad.content.decode()
    assert VoucherOrder.objects.get().status == "paid"


def test_older_camt_versions_and_references_in_the_free_text_are_read():
    old = camt053(
        [{"amount": 1250, "text": "Gutschein RF18 5390 0754 7034 danke", "payer": "Alt"}],
        iban="DE89370400440532013000",
        currency="EUR",
        version="02",
    ).replace(b"<Sts><Cd>BOOK</Cd></Sts>", b"<Sts>BOOK</Sts>")
    (credit,) = statement_credits(old)
    assert (credit.amount_minor, credit.currency, credit.reference) == (1250, "EUR", "")
    assert credit.booked_on.isoformat() == "2026-11-20" and credit.payer == "Alt"
    assert "RF18 5390" in credit.text
    assert reference_in_text(credit.text) == "RF18539007547034"
    assert reference_in_text("Ref 21 00000 00003 13947 14300 09017 Miete") == (
        "210000000003139471430009017"
    )
    assert reference_in_text("RF19 nothing valid 12345") == ""
    assert reference_in_text("21 00000 00003 13947 14300 09018") == ""  # wrong check digit
    pending = camt053([{"amount": 100, "reference": "RF18539007547034", "status": "PDNG"}],
                      iban="x", currency="EUR")  # fmt: skip
    assert statement_credits(pending) == []


def test_orders_from_one_address_are_limited(client, product_a, banked_a):
    from django.core.cache import cache

    cache.clear()
    for _number in range(10):
        assert order_from(client, product_a, quantity="1").status_code == 302
    refused = order_from(client, product_a, quantity="1")
    assert refused.status_code == 429 and VoucherOrder.objects.count() == 10
    cache.clear()
