"""Payment files for a settled month, made with sepaxml and checked against the ISO 20022
schema it ships: credit transfers (pain.001.001.03) paying out what statements owe
businesses, and SEPA direct debits (pain.008.001.02) collecting what businesses owe.

Each file is made once per settlement run, on its first download, and stored
(``PaymentFile``: the XML, its message id and checksum); every later download hands out
the same bytes, so a bank's duplicate check recognises a second upload. Statements whose
invoice is paid already (by transfer) are left out of the direct debits, and an invoice
says direct debit only for a statement the collection file holds (or will hold).

Swiss towns pay out in CHF with pain.001 as the Swiss Payment Standards want it for
domestic payments: without the SEPA service level (sepaxml's ``domestic``) and without
the charge bearer "SLEV" that goes with it, both of which Swiss banks refuse for CHF. They collect by QR-bill invoice instead of direct debit
(``collection_file`` refuses them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaDD, SepaTransfer
from sepaxml.validation import try_valid_xml

from marktplatz.audit.services import audit_record
from marktplatz.core.invoices import (
    Invoice,
    InvoiceLine,
    Party,
    credit_outcome,
    invoice_pdf,
    payment_reference,
)
from marktplatz.ledger.errors import LedgerError
from marktplatz.settlement.models import PaymentFile, SettlementRun, Statement, StatementPayment
from marktplatz.vouchers.payments import PAYMENT_DAYS, city_party


class PaymentFileError(LedgerError):
    code = "payment_file_refused"
    status = 409


@dataclass
class MadeFile:
    """A payment file as made (not yet stored)."""

    xml: bytes
    count: int = 0
    total_minor: int = 0
    # Businesses left out for want of bank details (to settle by hand).
    missing: list[Any] = field(default_factory=list)
    statement_ids: list[int] = field(default_factory=list)


def merchant_party(merchant: Any) -> Party:
    """The business as the addressee of its statement and invoice."""
    return Party(
        name=merchant.account_holder or merchant.name,
        street=merchant.street,
        postcode=merchant.postcode,
        town=merchant.locality,
        country=merchant.city.country,
        email=merchant.email,
    )


def _statements(city: Any, month: dt.date, outgoing: bool):
    rows = Statement.objects.filter(city_id=city.pk, period_start=month.replace(day=1))
    if outgoing:
        rows = rows.filter(net_minor__gt=0)
    else:
        # An invoice paid by transfer is settled: collecting it too would charge twice.
        rows = rows.filter(net_minor__lt=0, payment__isnull=True)
    return rows.select_related("merchant").order_by("merchant__name", "pk")


def mandate_reference(merchant: Any) -> str:
    """The direct-debit mandate: the business's acceptance of the town's terms."""
    return f"MP-{merchant.code.upper()}"


def _operator(city: Any) -> dict:
    if not (city.bank_iban and city.bank_account_holder):
        raise PaymentFileError(_("Enter the town's bank account in the town settings first."))
    config = {"name": city.bank_account_holder, "IBAN": city.bank_iban, "currency": city.currency}
    if city.bank_bic:
        config["BIC"] = city.bank_bic
    return config


def _remittance(statement: Statement) -> str:
    return _("Statement %(month)s %(code)s") % {
        "month": f"{statement.period_start:%m/%Y}",
        "code": statement.code,
    }


def payout_file(*, city: Any, month: dt.date, execution: dt.date | None = None) -> MadeFile:
    """A pain.001 credit transfer to every business the month's statements owe money.

    CHF payments leave out the SEPA service level: the Swiss Implementation Guidelines
    reserve it for SEPA (euro) payments, and Swiss banks refuse CHF payments carrying it.
    """
    domestic = city.currency == "CHF"
    sepa = SepaTransfer({**_operator(city), "batch": True, "domestic": domestic}, clean=True)
    result = MadeFile(xml=b"")
    when = execution or timezone.localdate() + dt.timedelta(days=1)
    for statement in _statements(city, month, outgoing=True):
        merchant = statement.merchant
        if not merchant.iban:
            result.missing.append(merchant)
            continue
        payment = {
            "name": merchant.account_holder or merchant.name,
            "IBAN": merchant.iban,
            "amount": statement.net_minor,
            "execution_date": when,
            "description": _remittance(statement),
            "endtoend_id": statement.code.upper(),
        }
        if merchant.bic:
            payment["BIC"] = merchant.bic
        sepa.add_payment(payment)
        result.count += 1
        result.total_minor += statement.net_minor
        result.statement_ids.append(statement.pk)
    result.xml = sepa.export(validate=True) if result.count else b""
    if domestic and result.count:
        result.xml = _without_sepa_charges(result.xml)
    return result


def _without_sepa_charges(xml: bytes) -> bytes:
    """Drop the charge bearer "SLEV" (follow the SEPA service level) that sepaxml writes
    for every payment: without a service level it means nothing, and Swiss banks refuse
    CHF payments carrying it. The element is optional; the file is checked again."""
    xml = re.sub(rb"\s*<ChrgBr>SLEV</ChrgBr>", b"", xml)
    try_valid_xml(xml, "pain.001.001.03")
    return xml


def collection_file(*, city: Any, month: dt.date, collection: dt.date | None = None) -> MadeFile:
    """A pain.008 direct debit from every business that owes the month's balance.

    The mandate is the business's acceptance of the town's terms when it joined: its
    reference is the business's code, its date the day it was approved (or registered).
    """
    if city.currency != "EUR":
        raise PaymentFileError(
            _("Towns outside the euro area collect by QR-bill invoice, not by direct debit.")
        )
    if not city.sepa_creditor_id:
        raise PaymentFileError(_("Enter the town's SEPA creditor identifier first."))
    sepa = SepaDD(
        {**_operator(city), "batch": True, "creditor_id": city.sepa_creditor_id},
        schema="pain.008.001.02",
        clean=True,
    )
    result = MadeFile(xml=b"")
    when = collection or timezone.localdate() + dt.timedelta(days=2)
    for statement in _statements(city, month, outgoing=False):
        merchant = statement.merchant
        if not merchant.iban:
            result.missing.append(merchant)
            continue
        payment = {
            "name": merchant.account_holder or merchant.name,
            "IBAN": merchant.iban,
            "amount": -statement.net_minor,
            "type": "RCUR",
            "collection_date": when,
            "mandate_id": mandate_reference(merchant),
            "mandate_date": timezone.localtime(merchant.created_at).date(),
            "description": _remittance(statement),
            "endtoend_id": statement.code.upper(),
        }
        if merchant.bic:
            payment["BIC"] = merchant.bic
        sepa.add_payment(payment)
        result.count += 1
        result.total_minor -= statement.net_minor
        result.statement_ids.append(statement.pk)
    result.xml = sepa.export(validate=True) if result.count else b""
    return result


MAKERS = {PaymentFile.Kind.PAYOUTS: payout_file, PaymentFile.Kind.COLLECTIONS: collection_file}
PAIN = {
    PaymentFile.Kind.PAYOUTS: "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
    PaymentFile.Kind.COLLECTIONS: "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02",
}


def _message_id(xml: bytes, kind: str) -> str:
    root = etree.fromstring(xml)  # noqa: S314  (made by us a moment ago)
    return root.findtext(".//p:GrpHdr/p:MsgId", namespaces={"p": PAIN[kind]}) or ""


def payment_file_for(
    *, run: SettlementRun, kind: str, actor: Any = None, now: dt.datetime | None = None
) -> PaymentFile | None:
    """The run's payment file of ``kind``: made and stored on the first call, the same
    file (the same bytes, the same message id) on every later one. None when there is
    nothing to pay or collect. PaymentFileError when it cannot be made (no bank account,
    a collection date already past)."""
    if kind not in MAKERS:
        raise PaymentFileError(_("No such payment file."))
    city = run.city
    with transaction.atomic():
        # One maker at a time: a download at the same moment waits and gets this file.
        SettlementRun.objects.select_for_update().filter(pk=run.pk).first()
        stored = PaymentFile.objects.filter(run=run, kind=kind).first()
        if stored is not None:
            return stored
        made = _make(run, kind, timezone.localdate(now or timezone.now()))
        if not made.count:
            return None
        stored = PaymentFile.objects.create(
            city=city, run=run, kind=kind, message_id=_message_id(made.xml, kind),
            checksum=hashlib.sha256(made.xml).hexdigest(), xml=made.xml,
            count=made.count, total_minor=made.total_minor, statement_ids=made.statement_ids,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )  # fmt: skip
        audit_record(
            city=city, actor=actor, action=f"payment_file.{kind}_made", obj=run,
            data={"message_id": stored.message_id, "checksum": stored.checksum,
                  "count": stored.count, "total_minor": stored.total_minor},
        )  # fmt: skip
    return stored


def _make(run: SettlementRun, kind: str, today: dt.date) -> MadeFile:
    if kind == PaymentFile.Kind.PAYOUTS:
        execution = max(run.execution_date, today + dt.timedelta(days=1))
        return payout_file(city=run.city, month=run.month, execution=execution)
    # The invoices name this day: a file made too late for it is not made at all.
    if run.collection_date < today + dt.timedelta(days=2):
        raise PaymentFileError(
            _("The collection date %(date)s named on the invoices is too close or past: "
              "ask these businesses to pay by transfer.")
            % {"date": run.collection_date.strftime("%d.%m.%Y")}
        )  # fmt: skip
    return collection_file(city=run.city, month=run.month, collection=run.collection_date)


def collected_by_debit(statement: Statement) -> bool:
    """Whether the town collects ``statement``'s balance by direct debit (else the
    business is asked to transfer it): in the run's collection file once that is made;
    before, when the town collects (euro, creditor id), the business has an IBAN and
    has not paid already."""
    city, merchant = statement.city, statement.merchant
    if statement.net_minor >= 0 or city.currency != "EUR" or not city.sepa_creditor_id:
        return False
    run = SettlementRun.objects.filter(city_id=city.pk, month=statement.period_start).first()
    stored = (
        PaymentFile.objects.filter(run=run, kind=PaymentFile.Kind.COLLECTIONS).first()
        if run is not None
        else None
    )
    if stored is not None:
        return statement.pk in stored.statement_ids
    paid = StatementPayment.objects.filter(statement=statement).exists()
    return run is not None and bool(merchant.iban) and not paid


# Statement invoices start here in the town's reference numbers (voucher orders below,
# employer invoices from 50,000,000).
STATEMENT_REFERENCE_BASE = 70_000_000


def statement_invoice(*, statement: Statement, lines: list[dict]) -> Invoice:
    """The invoice for a month in which the business owes the town (net < 0): its lines
    are the statement's (credits as quantity -1), its payment slip a Swiss QR-bill or an
    EPC QR code; euro towns say when they collect by direct debit instead."""
    city, merchant = statement.city, statement.merchant
    if statement.net_minor >= 0:
        raise PaymentFileError(_("The town owes this business: there is nothing to invoice."))
    issued = timezone.localtime(statement.created_at).date()
    debit = collected_by_debit(statement)
    run = (
        SettlementRun.objects.filter(city_id=city.pk, month=statement.period_start).first()
        if debit
        else None
    )
    return Invoice(
        number=f"S-{statement.period_start:%Y-%m}-{statement.code.upper()}",
        issued=issued,
        due=issued + dt.timedelta(days=PAYMENT_DAYS),
        currency=city.currency,
        seller=city_party(city),
        buyer=merchant_party(merchant),
        iban=city.bank_iban,
        bic=city.bank_bic,
        reference=payment_reference(
            number=STATEMENT_REFERENCE_BASE + statement.pk, iban=city.bank_iban
        ),
        lines=[
            InvoiceLine(str(line["label"]), -1 if line["amount"] > 0 else 1, abs(line["amount"]))
            for line in lines
        ],
        title=_("Invoice"),
        note=_("Statement %(month)s.") % {"month": f"{statement.period_start:%m/%Y}"},
        language=city.default_language[:2],
        vat_note=_("Settlement of card points and vouchers; fees without VAT."),
        # Direct debit: the collection day and mandate, and no transfer slip; otherwise
        # the request to transfer, with its QR code.
        collection_date=run.collection_date if run else None,
        mandate=mandate_reference(merchant) if run else "",
        creditor_id=city.sepa_creditor_id if run else "",
        debtor_iban=merchant.iban if run else "",
    )


def statement_invoice_pdf(*, statement: Statement, lines: list[dict]) -> bytes:
    invoice = statement_invoice(statement=statement, lines=lines)
    return invoice_pdf(invoice, e_invoice=statement.city.country == "DE")


def statement_for_reference(*, city: Any, reference: str) -> Statement | None:
    """The statement whose invoice carries ``reference`` (see ``statement_invoice``)."""
    digits = reference[4:] if reference.startswith("RF") else reference[:-1]
    if not digits.isdigit() or int(digits) <= STATEMENT_REFERENCE_BASE:
        return None
    statement = (
        Statement.objects.filter(city_id=city.pk, pk=int(digits) - STATEMENT_REFERENCE_BASE)
        .select_related("merchant")
        .first()
    )
    if statement is None or statement.net_minor >= 0:
        return None
    expected = payment_reference(
        number=STATEMENT_REFERENCE_BASE + statement.pk, iban=city.bank_iban
    )
    return statement if expected == reference else None


def credit_apply(*, city: Any, reference: str, amount_minor: int, currency: str, note: str):
    """A bank credit paying a statement invoice (see ``settlement.bank``)."""
    statement = statement_for_reference(city=city, reference=reference) if reference else None
    if statement is None:
        return None, None
    outcome = credit_outcome(
        currency=currency,
        expected=city.currency,
        amount_minor=amount_minor,
        total_minor=-statement.net_minor,
        paid=StatementPayment.objects.filter(statement=statement).exists(),
        pay=lambda: StatementPayment.objects.get_or_create(
            statement=statement,
            defaults={"city": city, "amount_minor": amount_minor, "note": note[:200]},
        )[1],
    )
    return outcome, statement.merchant
