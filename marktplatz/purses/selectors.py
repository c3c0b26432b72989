"""Reading across the card and the money: the till's summary of one business's day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum

from marktplatz.loyalty.models import Booking, BookingKind
from marktplatz.vouchers.models import VoucherRedemption

TAKEN_BACK = [BookingKind.REFUND, BookingKind.CANCEL]
# How a voucher redemption was paid: a voucher shown at the till, or the card's purse.
VOUCHER_PAID = "voucher.redeemed"
PURSE_PAID = "purse.paid"


def till_day(*, merchant: Any, since: dt.datetime) -> dict[str, Any]:
    """What ``merchant`` booked since ``since`` (the start of the cashier's day).

    ``totals``: purchases booked (count, gross turnover), refunds and cancellations
    (count, amount), net turnover (gross minus refunds booked in the same period, whichever
    day the refunded purchase was), points given, redeemed and taken back, and the city
    vouchers and card purse payments taken (count, amount). Amounts in minor units.
    ``bookings``: the latest 100 card bookings.
    """
    bookings = Booking.objects.filter(merchant=merchant, created_at__gte=since)
    points = bookings.aggregate(
        purchases=Count("pk", filter=Q(kind=BookingKind.EARN)),
        gross=Sum("purchase_minor", filter=Q(kind=BookingKind.EARN)),
        refunds=Count("pk", filter=Q(kind__in=TAKEN_BACK)),
        refunded=Sum("purchase_minor", filter=Q(kind__in=TAKEN_BACK)),
        issued=Sum("points", filter=Q(kind=BookingKind.EARN)),
        redeemed=Sum("points", filter=Q(kind=BookingKind.REDEEM)),
        taken_back=Sum("points", filter=Q(kind__in=TAKEN_BACK)),
    )
    # A purse payment drawing on three vouchers is one payment (one transaction).
    money = VoucherRedemption.objects.filter(merchant=merchant, created_at__gte=since).aggregate(
        vouchers=Count(
            "transaction", distinct=True, filter=Q(transaction__reason_code=VOUCHER_PAID)
        ),
        vouchers_amount=Sum("amount_minor", filter=Q(transaction__reason_code=VOUCHER_PAID)),
        purse=Count("transaction", distinct=True, filter=Q(transaction__reason_code=PURSE_PAID)),
        purse_amount=Sum("amount_minor", filter=Q(transaction__reason_code=PURSE_PAID)),
    )
    totals = {key: value or 0 for key, value in {**points, **money}.items()}
    totals["net"] = totals["gross"] - totals["refunded"]
    return {
        "totals": totals,
        "bookings": list(bookings.select_related("card").order_by("-created_at", "-pk")[:100]),
    }


# --- Access helpers (every object an employer or operator page loads) ---------------------


def access_employer(*, user: Any, code: str) -> Any:
    """The employer ``code`` of this town, for its admins and the operator (else 404)."""
    from django.http import Http404

    from marktplatz.accounts.models import RoleKind
    from marktplatz.accounts.selectors import is_operator, roles_for
    from marktplatz.merchants.models import Employer

    employer = Employer.objects.filter(code=code).first()
    if employer is None:
        raise Http404("no such employer")
    if is_operator(user=user):
        return employer
    if any(
        role.kind == RoleKind.EMPLOYER_ADMIN and role.employer_id == employer.pk
        for role in roles_for(user=user)
    ):
        return employer
    raise Http404("no such employer")


def access_employee(*, employer: Any, code: str) -> Any:
    """An employee of ``employer`` (already checked with access_employer), else 404."""
    from django.http import Http404

    from marktplatz.purses.models import Employee

    found = Employee.objects.filter(employer=employer, code=code).first()
    if found is None:
        raise Http404("no such employee")
    return found


def access_employee_import(*, employer: Any, code: str) -> Any:
    from django.http import Http404

    from marktplatz.purses.models import EmployeeImport

    found = EmployeeImport.objects.filter(employer=employer, code=code).first()
    if found is None:
        raise Http404("no such import")
    return found


def access_employer_invoice(*, code: str, employer: Any = None) -> Any:
    """An employer invoice of the active city (of ``employer`` if given), else 404.

    Without ``employer`` only for the operator's pages (the view checks the role)."""
    from django.http import Http404

    from marktplatz.purses.models import EmployerInvoice

    invoices = EmployerInvoice.objects.filter(code=code)
    if employer is not None:
        invoices = invoices.filter(employer=employer)
    found = invoices.first()
    if found is None:
        raise Http404("no such invoice")
    return found
