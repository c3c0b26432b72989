"""SEPA files of a settled month, valid against the ISO 20022 schema (sepaxml checks them
on export), with the right amounts, accounts and references; bank details validated."""

import datetime as dt
import xml.etree.ElementTree as etree

import pytest
from django.core.exceptions import ValidationError

from marktplatz.cities.models import City
from marktplatz.core.banking import validate_creditor_id
from marktplatz.settlement import payments, services
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.vouchers import services as vouchers

PAIN001 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
PAIN008 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
JANUARY = dt.date(2026, 1, 1)


@pytest.fixture
def banked(town_a, shop_a, shop_b):
    town_a.bank_account_holder = "Stadtmarketing Altdorf GmbH"
    town_a.bank_iban = "DE89370400440532013000"
    town_a.bank_bic = "COBADEFFXXX"
    town_a.sepa_creditor_id = "DE98ZZZ09999999999"
    town_a.save()
    shop_a.iban, shop_a.account_holder = "DE02120300000000202051", "Bäckerei Korn"
    shop_a.save()
    shop_b.iban = "DE02500105170137075030"
    shop_b.save()
    return town_a


def test_payouts_go_out_as_one_valid_credit_transfer_file(
    banked, shop_a, shop_b, activity, month_over
):
    services.settle_month(city=banked, month=THIS_MONTH, now=month_over)
    made = payments.payout_file(city=banked, month=THIS_MONTH)
    assert (made.count, made.total_minor, made.missing) == (2, 283 + 2550, [])
    xml = etree.fromstring(made.xml)  # noqa: S314  (our own file)
    assert xml.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=PAIN001) == "28.33"
    paid = {
        tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=PAIN001): tx.findtext(
            "p:Amt/p:InstdAmt", namespaces=PAIN001
        )
        for tx in xml.iterfind(".//p:CdtTrfTxInf", namespaces=PAIN001)
    }
    assert paid == {shop_a.iban: "2.83", shop_b.iban: "25.50"}
    assert xml.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=PAIN001) == banked.bank_iban


def test_what_businesses_owe_is_collected_by_direct_debit(banked, shop_a, month_over):
    City.objects.filter(pk=banked.pk).update(created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    banked.refresh_from_db()
    services.settle_month(city=banked, month=JANUARY, now=month_over)  # monthly fees only
    made = payments.collection_file(city=banked, month=JANUARY)
    assert (made.count, made.total_minor) == (1, 1500)  # shop A; shop B is a member: no fee
    xml = etree.fromstring(made.xml)  # noqa: S314  (our own file)
    debit = xml.find(".//p:DrctDbtTxInf", namespaces=PAIN008)
    assert debit.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=PAIN008) == shop_a.iban
    assert debit.findtext("p:InstdAmt", namespaces=PAIN008) == "15.00"
    assert debit.findtext(".//p:MndtId", namespaces=PAIN008) == f"MP-{shop_a.code.upper()}"
    assert (
        xml.findtext(".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=PAIN008)
        == "DE98ZZZ09999999999"
    )


def test_businesses_without_bank_details_are_left_out_and_named(
    banked, shop_a, activity, month_over
):
    shop_a.iban = ""
    shop_a.save()
    services.settle_month(city=banked, month=THIS_MONTH, now=month_over)
    made = payments.payout_file(city=banked, month=THIS_MONTH)
    assert made.count == 1 and made.missing == [shop_a]


def test_files_need_the_towns_account_and_swiss_towns_are_not_debited(town_a, town_b):
    with pytest.raises(payments.PaymentFileError):
        payments.payout_file(city=town_a, month=JANUARY)
    with pytest.raises(payments.PaymentFileError):
        payments.collection_file(city=town_b, month=JANUARY)


def test_bank_details_are_checked_and_stored_compact(client, bob, shop_a):
    client.force_login(bob)
    url = f"/altdorf/merchant/{shop_a.code}/edit/"
    form = client.get(url).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and name != "logo" and not isinstance(value, (list, dict))
    }
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        data.setdefault(f"hours_{day}", form[f"hours_{day}"].value() or "")
    bad = client.post(url, {**data, "iban": "DE00 1234 5678 9012 3456 78"})
    assert "IBAN" in str(bad.context["form"].errors)
    client.post(url, {**data, "iban": "de02 1203 0000 0000 2020 51", "accepting": "on"})
    shop_a.refresh_from_db()
    assert shop_a.iban == "DE02120300000000202051"


def test_the_creditor_identifier_is_checked_by_its_check_digits():
    validate_creditor_id("DE98ZZZ09999999999")
    with pytest.raises(ValidationError):
        validate_creditor_id("DE97ZZZ09999999999")


def test_a_business_that_owes_gets_an_invoice_with_qr_bill_or_zugferd(
    client, alice, town_a, town_b, month_over
):
    import io

    from drafthorse.models.document import Document
    from pypdf import PdfReader

    from marktplatz.testing import factories

    for town, iban in ((town_a, "DE89370400440532013000"), (town_b, "CH9300762011623852957")):
        town.bank_account_holder, town.bank_iban = f"Stadtkasse {town.name}", iban
        town.postal_code, town.postal_town = "3000", town.name
        town.save()
    shop = factories.merchant(city=town_b, name="Dorfladen")
    _start, end = services.period_bounds(city=town_b, month=THIS_MONTH)
    (statement,) = services.settle_month(
        city=town_b, month=THIS_MONTH, now=end + dt.timedelta(hours=2)
    )
    assert statement.net_minor == -1500  # the monthly fee, nothing else
    operator = factories.person("op@bergdorf.example", town_b, "operator_admin")
    client.force_login(operator)
    url = f"/bergdorf/merchant/{shop.code}/statements/{statement.code}/invoice.pdf"
    response = client.get(url)
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Zahlteil" in text and "15.00" in text  # the Swiss QR-bill's payment part
    # The business pays by transfer with the QR-bill's reference: the import sees it.
    from marktplatz.settlement import bank
    from marktplatz.testing.camt import camt053

    reference = payments.statement_invoice(statement=statement, lines=[]).reference
    paid = camt053([{"amount": 1500, "reference": reference}], iban="x", currency="CHF")
    (result,) = bank.bank_statement_import(city=town_b, data=paid, file_name="chf.xml")
    assert result.outcome == "paid" and result.target == shop
    again = bank.bank_statement_import(city=town_b, data=paid, file_name="chf.xml")
    assert again[0].outcome == "already_paid"
    page = client.get(f"/bergdorf/operator/settlement/?month={THIS_MONTH:%Y-%m}")
    assert "bezahlt" in page.content.decode()
    # In Germany the same invoice carries its Factur-X XML.
    shop_a = factories.merchant(city=town_a, name="Laden")
    (german,) = [
        s for s in services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
        if s.merchant_id == shop_a.pk
    ]  # fmt: skip
    client.force_login(alice)
    pdf = client.get(f"/altdorf/merchant/{shop_a.code}/statements/{german.code}/invoice.pdf")
    xml = PdfReader(io.BytesIO(pdf.content)).attachments["factur-x.xml"][0]
    total = Document.parse(xml).trade.settlement.monetary_summation.grand_total._amount
    assert str(total) in ("15", "15.00")


def test_a_swiss_town_pays_out_in_francs(town_b):
    from marktplatz.testing import factories
    from marktplatz.vouchers.models import VoucherProduct

    town_b.bank_account_holder, town_b.bank_iban = "Bergdorf Tourismus", "CH9300762011623852957"
    town_b.save()
    shop = factories.merchant(city=town_b, name="Dorfladen")
    shop.iban, shop.association_member = "CH5604835012345678009", True
    shop.save()
    product = VoucherProduct.objects.create(city=town_b, name="Gutschein", value_minor=5000)
    voucher = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(city=town_b, merchant=shop, code=voucher.secret, amount_minor=4000,
                            idempotency_key="ch-1")  # fmt: skip
    _start, end = services.period_bounds(city=town_b, month=THIS_MONTH)
    services.settle_month(city=town_b, month=THIS_MONTH, now=end + dt.timedelta(hours=2))
    made = payments.payout_file(city=town_b, month=THIS_MONTH)
    assert (made.count, made.total_minor) == (1, 4000 - 80)  # 2 % commission for members
    xml = etree.fromstring(made.xml)  # noqa: S314  (our own file)
    amount = xml.find(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=PAIN001)
    assert (amount.get("Ccy"), amount.text) == ("CHF", "39.20")
