"""Payment files for a settled month, made with sepaxml and checked against the ISO 20022
schema it ships: SEPA credit transfers (pain.001.001.03) paying out what statements owe
businesses, and SEPA direct debits (pain.008.001.02) collecting what businesses owe.

Swiss towns pay out in CHF with pain.001 as well; they collect by QR-bill invoice instead
of direct debit (``collection_file`` refuses them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from sepaxml import SepaDD, SepaTransfer

from marktplatz.core.invoices import (
    Invoice,
    InvoiceLine,
    Party,
    credit_outcome,
    invoice_pdf,
    payment_reference,
)
from marktplatz.ledger.errors import LedgerError
from marktplatz.settlement.models import Statement, StatementPayment
from marktplatz.vouchers.payments import PAYMENT_DAYS, city_party


class PaymentFileError(LedgerError):
    code = "payment_file_refused"
    status = 409


@dataclass
class PaymentFile:
    xml: bytes
    count: int = 0
    total_minor: int = 0
    # Businesses left out for want of bank details (to settle by hand).
    missing: list[Any] = field(default_factory=list)


def _statements(city: Any, month: dt.date, outgoing: bool):
    rows = Statement.objects.filter(city_id=city.pk, period_start=month.replace(day=1))
    rows = rows.filter(net_minor__gt=0) if outgoing else rows.filter(net_minor__lt=0)
    return rows.select_related("merchant").order_by("merchant__name")


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


def payout_file(*, city: Any, month: dt.date, execution: dt.date | None = None) -> PaymentFile:
    """A pain.001 credit transfer to every business the month's statements owe money."""
    sepa = SepaTransfer({**_operator(city), "batch": True}, clean=True)
    result = PaymentFile(xml=b"")
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
    result.xml = sepa.export(validate=True) if result.count else b""
    return result


def collection_file(*, city: Any, month: dt.date, collection: dt.date | None = None) -> PaymentFile:
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
    result = PaymentFile(xml=b"")
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
            "mandate_id": f"MP-{merchant.code.upper()}",
            "mandate_date": timezone.localtime(merchant.created_at).date(),
            "description": _remittance(statement),
            "endtoend_id": statement.code.upper(),
        }
        if merchant.bic:
            payment["BIC"] = merchant.bic
        sepa.add_payment(payment)
        result.count += 1
        result.total_minor -= statement.net_minor
    result.xml = sepa.export(validate=True) if result.count else b""
    return result


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
    debit = city.currency == "EUR" and bool(city.sepa_creditor_id and merchant.iban)
    return Invoice(
        number=f"S-{statement.period_start:%Y-%m}-{statement.code.upper()}",
        issued=issued,
        due=issued + dt.timedelta(days=PAYMENT_DAYS),
        currency=city.currency,
        seller=city_party(city),
        buyer=Party(
            name=merchant.account_holder or merchant.name,
            street=merchant.street,
            postcode=merchant.postcode,
            town=merchant.locality,
            country=city.country,
            email=merchant.email,
        ),
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
        note=(
            _("Statement %(month)s. The amount is collected by SEPA direct debit.")
            if debit
            else _("Statement %(month)s.")
        )
        % {"month": f"{statement.period_start:%m/%Y}"},
        language=city.default_language[:2],
        vat_note=_("Settlement of card points and vouchers; fees without VAT."),
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
