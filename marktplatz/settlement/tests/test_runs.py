"""A month is settled once, by one confirmed and audited run, only when it is over and not
before the town started; its payment files are made once and downloaded as that file;
paid invoices leave the direct debits, and an invoice says debit or transfer, never both;
the Swiss payout file carries no SEPA service level."""

import datetime as dt
import io
import xml.etree.ElementTree as etree

import pytest
from django.utils import timezone
from pypdf import PdfReader
from sepaxml.validation import try_valid_xml

from marktplatz.audit.models import AuditEvent
from marktplatz.cities.models import City
from marktplatz.ledger.models import AccountKind
from marktplatz.ledger.services import Leg, Posting, account_open, postings_import
from marktplatz.settlement import bank, payments, services
from marktplatz.settlement.models import PaymentFile, SettlementRun, Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.testing import factories
from marktplatz.testing.camt import camt053
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct

PAIN001 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
PAIN008 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)


def started(town, month: dt.date) -> None:
    """The town was created on the first of ``month``."""
    at = dt.datetime(month.year, month.month, 1, 12, tzinfo=dt.UTC)
    City.objects.filter(pk=town.pk).update(created_at=at)
    town.refresh_from_db()


@pytest.fixture
def banked(town_a, shop_a, shop_b):
    town_a.bank_account_holder = "Stadtmarketing Altdorf GmbH"
    town_a.bank_iban = "DE89370400440532013000"
    town_a.bank_bic = "COBADEFFXXX"
    town_a.sepa_creditor_id = "DE98ZZZ09999999999"
    town_a.postal_code, town_a.postal_town = "79600", "Altdorf"
    town_a.save()
    started(town_a, LAST_MONTH)
    shop_a.iban, shop_a.account_holder = "DE02120300000000202051", "Bäckerei Korn"
    shop_a.association_member = False
    shop_a.save()
    shop_b.iban = "DE02500105170137075030"
    shop_b.association_member = False  # owes its monthly fee too
    shop_b.save()
    return town_a


def test_months_before_the_town_started_are_refused_and_nothing_is_written(town_a, shop_a):
    with pytest.raises(services.SettlementBeforeStart):
        services.settle_month(city=town_a, month=dt.date(2020, 1, 1))
    assert not Statement.objects.exists() and not SettlementRun.objects.exists()
    assert services.months_open(city=town_a) == []  # created this month: nothing is over


def test_the_first_booking_counts_as_the_start_when_it_is_earlier(town_a, shop_a):
    """History brought over from before the town joined (as the demo's is) is settled."""
    started_at = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    ledger = vouchers.money_ledger(city=town_a)
    source = account_open(ledger=ledger, kind=AccountKind.OPERATOR, reference="t:a",
                          allow_negative=True)  # fmt: skip
    target = account_open(ledger=ledger, kind=AccountKind.OPERATOR, reference="t:b")
    postings_import(
        ledger=ledger,
        postings=[Posting([Leg(source, target, 100)], "history", created_at=started_at)],
    )
    assert services.town_first_month(city=town_a) == dt.date(2026, 3, 1)
    with pytest.raises(services.SettlementBeforeStart):
        services.settlement_check(city=town_a, month=dt.date(2026, 2, 1))
    assert services.months_open(city=town_a)[0] == dt.date(2026, 3, 1)
    assert services.settlement_check(city=town_a, month=dt.date(2026, 3, 1))


def test_a_month_is_settled_once_by_one_audited_run(town_a, shop_a, activity, month_over):
    started(town_a, THIS_MONTH)
    preview = services.settlement_preview(city=town_a, month=THIS_MONTH, now=month_over)
    written = services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    assert {d.merchant.pk: d.net_minor for d in preview} == {
        s.merchant_id: s.net_minor for s in written
    }
    run = SettlementRun.objects.get()
    assert (run.month, run.statements) == (THIS_MONTH, len(written))
    assert run.payout_minor == sum(s.net_minor for s in written if s.net_minor > 0)
    event = AuditEvent.objects.get(action="settlement.month_settled")
    assert event.object_code == run.code and event.data["statements"] == len(written)
    with pytest.raises(services.MonthSettled):
        services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    with pytest.raises(services.MonthSettled):
        services.settlement_preview(city=town_a, month=THIS_MONTH, now=month_over)
    assert Statement.objects.count() == len(written)
    assert AuditEvent.objects.filter(action="settlement.month_settled").count() == 1


def test_the_operator_sees_what_is_paid_and_collected_and_confirms(
    client, alice, banked, shop_a, shop_b
):
    client.force_login(alice)
    url = "/altdorf/operator/settlement/"
    before = client.post(url, {"month": "2020-01"})
    assert before.status_code == 200 and "errorlist" in before.content.decode()
    month = f"{LAST_MONTH:%Y-%m}"
    confirm = client.post(url, {"month": month})
    assert confirm.status_code == 200 and not Statement.objects.exists()
    text = confirm.content.decode()
    assert shop_a.name in text and shop_b.name in text and "30,00" in text  # 2 × 15.00 fee
    assert confirm.context["collect"] == 3000 and confirm.context["collect_count"] == 2
    done = client.post(url, {"month": month, "confirm": "yes"})
    assert done.status_code == 302 and Statement.objects.count() == 2
    again = client.post(url, {"month": month, "confirm": "yes"})
    assert again.status_code == 302 and Statement.objects.count() == 2
    assert SettlementRun.objects.get().created_by == alice
    assert AuditEvent.objects.get(action="settlement.month_settled").actor == alice


def _settle_last_month(town):
    """Settled now (as the operator would): the collection date lies ahead."""
    _start, end = services.period_bounds(city=town, month=LAST_MONTH)
    now = max(timezone.now(), end + dt.timedelta(hours=2))
    return {s.merchant_id: s for s in services.settle_month(city=town, month=LAST_MONTH, now=now)}


def _invoice_text(client, statement) -> str:
    url = f"/altdorf/merchant/{statement.merchant.code}/statements/{statement.code}/invoice.pdf"
    response = client.get(url)
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return text.replace(" ", "").replace("\n", "")  # IBANs and references print grouped


def test_an_invoice_paid_by_transfer_leaves_the_direct_debits_and_says_transfer(
    client, alice, banked, shop_a, shop_b
):
    statements = _settle_last_month(banked)
    paid, unpaid = statements[shop_a.pk], statements[shop_b.pk]
    reference = payments.statement_invoice(statement=paid, lines=[]).reference
    transfer = camt053([{"amount": 1500, "reference": reference}], iban="x", currency="EUR")
    (result,) = bank.bank_statement_import(city=banked, data=transfer, file_name="t.xml")
    assert result.outcome == "paid"
    run = SettlementRun.objects.get()
    stored = payments.payment_file_for(run=run, kind="collections")
    xml = etree.fromstring(bytes(stored.xml))  # noqa: S314  (our own file)
    debtors = [
        tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=PAIN008)
        for tx in xml.iterfind(".//p:DrctDbtTxInf", namespaces=PAIN008)
    ]
    assert debtors == [shop_b.iban]
    assert xml.findtext(".//p:ReqdColltnDt", namespaces=PAIN008) == f"{run.collection_date}"
    assert stored.statement_ids == [unpaid.pk]
    client.force_login(alice)
    debit = _invoice_text(client, unpaid)
    collection_day = run.collection_date.strftime("%d.%m.%Y")
    assert "Lastschrift" in debit and "überweisen" not in debit
    assert collection_day in debit and payments.mandate_reference(shop_b) in debit
    assert "DE98ZZZ09999999999" in debit
    assert reference not in debit and "GiroCode" not in debit
    transferred = _invoice_text(client, paid)
    assert reference in transferred and banked.bank_iban in transferred
    assert payments.mandate_reference(shop_a) not in transferred
    assert "Lastschrift" not in transferred and "überweisen" in transferred
    page = client.get("/altdorf/operator/settlement/", {"month": f"{LAST_MONTH:%Y-%m}"})
    rows = {s.merchant_id: s.by_debit for s in page.context["statements"]}
    assert rows == {shop_a.pk: False, shop_b.pk: True}
    # Shop B transfers anyway, after the file was made: the file stays as it was, and the
    # operator is told that it pays twice.
    late = payments.statement_invoice(statement=unpaid, lines=[]).reference
    paid_late = camt053([{"amount": 1500, "reference": late}], iban="x", currency="EUR")
    bank.bank_statement_import(city=banked, data=paid_late, file_name="late.xml")
    assert bytes(payments.payment_file_for(run=run, kind="collections").xml) == bytes(stored.xml)
    page = client.get("/altdorf/operator/settlement/", {"month": f"{LAST_MONTH:%Y-%m}"})
    twice = {s.merchant_id: s.paid_twice for s in page.context["statements"]}
    assert twice == {shop_a.pk: False, shop_b.pk: True}
    assert "refund" in page.content.decode() or "erstatten" in page.content.decode()


def test_a_business_without_iban_is_asked_to_transfer(client, alice, banked, shop_a, shop_b):
    shop_a.iban = ""
    shop_a.save()
    statements = _settle_last_month(banked)
    assert payments.collected_by_debit(statements[shop_a.pk]) is False
    assert payments.collected_by_debit(statements[shop_b.pk]) is True
    client.force_login(alice)
    text = _invoice_text(client, statements[shop_a.pk])
    assert payments.mandate_reference(shop_a) not in text


def test_a_payment_file_is_made_once_and_downloaded_as_that_file(client, alice, banked, shop_a):
    _settle_last_month(banked)
    client.force_login(alice)
    url = f"/altdorf/operator/settlement/{LAST_MONTH:%Y-%m}/collections.xml"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    stored = PaymentFile.objects.get()
    ns = PAIN008
    message_id = etree.fromstring(first.content).findtext(".//p:GrpHdr/p:MsgId", namespaces=ns)  # noqa: S314
    assert message_id == stored.message_id and message_id in first["Content-Disposition"]
    import hashlib

    assert stored.checksum == hashlib.sha256(first.content).hexdigest()
    assert AuditEvent.objects.filter(action="payment_file.collections_made").count() == 1
    # The next month is a new run with a file of its own: a new message id.
    _start, end = services.period_bounds(city=banked, month=THIS_MONTH)
    services.settle_month(city=banked, month=THIS_MONTH, now=end + dt.timedelta(hours=2))
    run = SettlementRun.objects.get(month=THIS_MONTH)
    later = payments.payment_file_for(run=run, kind="collections", now=end)
    assert later.message_id != message_id and later.xml != stored.xml
    assert (
        client.get(f"/altdorf/operator/settlement/{LAST_MONTH:%Y-%m}/nope.xml").status_code == 404
    )


def test_a_collection_date_already_past_makes_no_file(banked, shop_a):
    _settle_last_month(banked)
    run = SettlementRun.objects.get()
    late = dt.datetime.combine(run.collection_date, dt.time(12), dt.UTC)
    with pytest.raises(payments.PaymentFileError):
        payments.payment_file_for(run=run, kind="collections", now=late)
    assert not PaymentFile.objects.exists()


def test_the_swiss_payout_file_has_no_sepa_service_level_and_is_valid(town_b):
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
    run = SettlementRun.objects.get(city=town_b)
    stored = payments.payment_file_for(run=run, kind="payouts", now=end)
    xml = bytes(stored.xml)
    root = etree.fromstring(xml)  # noqa: S314  (our own file)
    assert root.find(".//p:SvcLvl", namespaces=PAIN001) is None
    assert b"<Cd>SEPA</Cd>" not in xml
    assert root.find(".//p:ChrgBr", namespaces=PAIN001) is None
    amount = root.find(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=PAIN001)
    assert (amount.get("Ccy"), amount.text) == ("CHF", "39.20")
    try_valid_xml(xml, "pain.001.001.03")  # raises when the schema refuses it
    # A euro town keeps the SEPA service level.
    german = factories.city(slug="eurodorf", name="Eurodorf", country="DE", currency="EUR")
    german.bank_account_holder, german.bank_iban = "Eurodorf", "DE89370400440532013000"
    german.save()
    euro_shop = factories.merchant(city=german, name="Laden")
    euro_shop.iban = "DE02120300000000202051"
    euro_shop.save()
    euro_product = VoucherProduct.objects.create(city=german, name="G", value_minor=5000)
    euro_voucher = vouchers.voucher_sell(product=euro_product)
    vouchers.voucher_redeem(city=german, merchant=euro_shop, code=euro_voucher.secret,
                            amount_minor=4000, idempotency_key="de-1")  # fmt: skip
    _start, end = services.period_bounds(city=german, month=THIS_MONTH)
    services.settle_month(city=german, month=THIS_MONTH, now=end + dt.timedelta(hours=2))
    made = payments.payout_file(city=german, month=THIS_MONTH)
    euro = etree.fromstring(made.xml)  # noqa: S314  (our own file)
    assert euro.findtext(".//p:SvcLvl/p:Cd", namespaces=PAIN001) == "SEPA"
    assert euro.findtext(".//p:ChrgBr", namespaces=PAIN001) == "SLEV"


@pytest.mark.parametrize("language", ["de", "en", "fr", "it"])
def test_the_settlement_pages_speak_every_language_in_both_towns(
    client, alice, charlie, town_a, town_b, language
):
    from django.conf import settings

    month = f"{LAST_MONTH:%Y-%m}"
    for town, operator in ((town_a, alice), (town_b, charlie)):
        started(town, LAST_MONTH)
        factories.merchant(city=town, name=f"Laden {town.slug}")
        client.force_login(operator)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        url = f"/{town.slug}/operator/settlement/"
        page = client.get(url)
        assert page.status_code == 200 and f'lang="{language}"' in page.content.decode()
        confirm = client.post(url, {"month": month})
        assert confirm.status_code == 200 and "15" in confirm.content.decode()
        assert confirm.templates[0].name == "settlement/confirm.html"
        done = client.post(url, {"month": month, "confirm": "yes"}, follow=True)
        assert done.status_code == 200 and Statement.objects.filter(city=town).exists()
        refused = client.post(url, {"month": "2020-01"})
        assert refused.status_code == 200 and "errorlist" in refused.content.decode()
