"""The operator's start page: the town's key figures, read from each app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from marktplatz.loyalty.models import Booking, BookingKind
from marktplatz.loyalty.selectors import town_figures
from marktplatz.merchants.selectors import merchant_counts
from marktplatz.settlement.models import SettlementRun, Statement
from marktplatz.settlement.services import months_open
from marktplatz.vouchers.services import voucher_figures

# Points a member received, and points a member spent, in the figures of a month.
ISSUED = [BookingKind.EARN, BookingKind.BONUS, BookingKind.ADJUST_PLUS]
REDEEMED = [BookingKind.REDEEM, BookingKind.REWARD]


def month_start(*, now: dt.datetime) -> dt.datetime:
    """The first moment of ``now``'s month in the active (the town's) time zone."""
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def town_key_figures(*, city: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Members, active cards, points issued and redeemed this month, the city vouchers'
    money still owed to their holders, businesses taking part, and the settlement: the
    months over and not yet settled, the last month settled and the statement invoices
    businesses have not paid yet."""
    now = now or timezone.now()
    since = month_start(now=now)
    card = town_figures(city=city)
    points = Booking.objects.filter(created_at__gte=since).aggregate(
        issued=Sum("points", filter=Q(kind__in=ISSUED)),
        redeemed=Sum("points", filter=Q(kind__in=REDEEMED)),
    )
    merchants = merchant_counts()
    settled = SettlementRun.objects.aggregate(last=Max("month"))["last"]
    to_settle = months_open(city=city, now=now)
    unpaid = Statement.objects.filter(net_minor__lt=0, payment__isnull=True).aggregate(
        count=Count("pk"), amount=Sum("net_minor")
    )
    return {
        "month": since.date(),
        "members": card["members"],
        "cards_active": card["cards_active"],
        "points_issued": points["issued"] or 0,
        "points_redeemed": points["redeemed"] or 0,
        "vouchers_outstanding": voucher_figures(city=city)["outstanding"],
        "merchants_active": merchants.get("active", 0),
        "merchants_pending": merchants.get("pending", 0),
        "last_settled": settled,
        "months_to_settle": len(to_settle),
        "oldest_to_settle": to_settle[0] if to_settle else None,
        "invoices_open": unpaid["count"],
        "invoices_open_amount": -(unpaid["amount"] or 0),
    }
