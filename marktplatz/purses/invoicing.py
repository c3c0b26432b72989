"""The monthly invoice to each employer for the benefits it loaded, and its payment.

An invoice is written once per employer and month, after the month is over; it is paid
by transfer quoting its reference (camt.053 import, ``credit_apply``) or marked paid by
the operator. Paying books the money as taken in: ``operator:voucher-sales →
employer:<code>``, which brings the employer's account back towards zero.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.core.invoices import (
    Invoice,
    InvoiceLine,
    Party,
    credit_outcome,
    invoice_pdf,
    payment_reference,
)
from marktplatz.ledger.services import Leg, transaction_post
from marktplatz.merchants.models import Employer
from marktplatz.purses.models import BenefitLoad, EmployerInvoice
from marktplatz.purses.services import PurseError, employer_account, month_of, payroll_rows
from marktplatz.vouchers.payments import PAYMENT_DAYS, city_party
from marktplatz.vouchers.services import money_ledger, operator_account

# Employer invoice references are numbered from here; voucher orders stay below.
REFERENCE_BASE = 50_000_000


def employer_invoices_issue(
    *, city: Any, month: dt.date, now: dt.datetime | None = None
) -> list[EmployerInvoice]:
    """Write the invoices of ``month`` for every employer that loaded benefits in it and
    has none yet. Refused before the month is over; running it again writes nothing."""
    month = month.replace(day=1)
    now = now or timezone.now()
    if month >= month_of(city=city, when=now):
        raise PurseError(_("A month is invoiced once it is over."))
    totals = (
        BenefitLoad.objects.filter(city_id=city.pk, month=month)
        .values("employer_id")
        .annotate(total=Sum("amount_minor"), loads=Count("id"))
    )
    done = set(EmployerInvoice.objects.filter(month=month).values_list("employer_id", flat=True))
    invoices = []
    with transaction.atomic():
        type(city).objects.select_for_update().filter(pk=city.pk).first()
        number = EmployerInvoice.objects.filter(city_id=city.pk).aggregate(n=Max("number"))["n"]
        number = number or 0
        for row in sorted(totals, key=lambda r: r["employer_id"]):
            if row["employer_id"] in done:
                continue
            number += 1
            invoice = EmployerInvoice.objects.create(
                city=city,
                employer_id=row["employer_id"],
                month=month,
                number=number,
                reference=payment_reference(number=REFERENCE_BASE + number, iban=city.bank_iban),
                total_minor=row["total"],
                loads=row["loads"],
            )
            audit_record(
                city=city, actor=None, action="employer.invoiced", obj=invoice,
                data={"total": invoice.total_minor, "month": f"{month:%Y-%m}"},
            )  # fmt: skip
            invoices.append(invoice)
    return invoices


def employer_invoice_document(invoice: EmployerInvoice) -> Invoice:
    city = invoice.city
    employer: Employer = invoice.employer
    issued = timezone.localtime(invoice.created_at, ZoneInfo(city.time_zone)).date()
    lines = [
        InvoiceLine(
            _("Benefit for %(name)s (%(number)s), %(month)s")
            % {
                "name": str(row["employee"]),
                "number": row["employee"].personnel_number,
                "month": f"{invoice.month:%m/%Y}",
            },
            1,
            row["amount"],
        )
        for row in payroll_rows(employer=employer, month=invoice.month)
    ]
    return Invoice(
        number=str(invoice),
        issued=issued,
        due=issued + dt.timedelta(days=PAYMENT_DAYS),
        currency=city.currency,
        seller=city_party(city),
        buyer=Party(
            name=employer.name,
            street=employer.street,
            postcode=employer.postcode,
            town=employer.locality,
            country=city.country,
            email=employer.contact_email,
        ),
        iban=city.bank_iban,
        bic=city.bank_bic,
        reference=invoice.reference,
        lines=lines,
        title=_("Invoice"),
        note=_("City card benefits loaded in %(month)s.") % {"month": f"{invoice.month:%m/%Y}"},
        language=city.default_language[:2],
    )


def employer_invoice_pdf(invoice: EmployerInvoice) -> bytes:
    return invoice_pdf(employer_invoice_document(invoice), e_invoice=invoice.city.country == "DE")


def employer_invoice_paid(
    *, invoice: EmployerInvoice, amount_minor: int, note: str, actor: Any = None
) -> bool:
    """Book the employer's payment once; False when the invoice was paid already."""
    city = invoice.city
    with transaction.atomic():
        locked = EmployerInvoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status == EmployerInvoice.Status.PAID:
            return False
        if amount_minor < locked.total_minor:
            raise PurseError(_("The amount paid is less than the invoice's total."))
        transaction_post(
            ledger=money_ledger(city=city),
            legs=[
                Leg(
                    operator_account(city, "voucher-sales"),
                    employer_account(employer=locked.employer),
                    locked.total_minor,
                )
            ],
            reason_code="benefit.invoice_paid",
            reason=_("Invoice %(number)s paid") % {"number": str(locked)},
            actor=actor,
            actor_label="" if actor else "system:bank-import",
            idempotency_key=f"employer-invoice:{locked.code}",
        )
        EmployerInvoice.objects.filter(pk=locked.pk).update(
            status=EmployerInvoice.Status.PAID, paid_at=timezone.now(), paid_note=note[:200]
        )
        audit_record(
            city=city, actor=actor, action="employer.invoice_paid", obj=locked,
            data={"amount": amount_minor, "note": note[:200]},
        )  # fmt: skip
    return True


def credit_apply(*, city: Any, reference: str, amount_minor: int, currency: str, note: str):
    """A bank credit quoting ``reference``: pays the employer invoice it names (see
    ``settlement.bank``)."""
    invoice = (
        EmployerInvoice.objects.filter(city_id=city.pk, reference=reference)
        .select_related("employer")
        .first()
        if reference
        else None
    )
    if invoice is None:
        return None, None
    outcome = credit_outcome(
        currency=currency,
        expected=city.currency,
        amount_minor=amount_minor,
        total_minor=invoice.total_minor,
        paid=invoice.status == EmployerInvoice.Status.PAID,
        pay=lambda: employer_invoice_paid(invoice=invoice, amount_minor=amount_minor, note=note),
    )
    return outcome, invoice
