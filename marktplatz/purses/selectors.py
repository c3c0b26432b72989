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
