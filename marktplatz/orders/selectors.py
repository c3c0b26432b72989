"""Reading products and orders of the active town. An order is seen by its citizen and by
the staff of its business, nobody else."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from marktplatz.accounts.selectors import merchant_role
from marktplatz.loyalty import selectors as loyalty
from marktplatz.loyalty.models import Card
from marktplatz.loyalty.services import redemption_value_minor
from marktplatz.merchants.hours import WEEKDAYS
from marktplatz.merchants.models import Merchant
from marktplatz.orders.models import Order, OrderLine, OrderSettings, Product
from marktplatz.orders.workflow import CLOSED_STATES, Side

State = Order.State


def settings_of(*, merchant: Merchant) -> OrderSettings:
    """The business's order settings (not saved: the defaults, until it saves its own)."""
    found = OrderSettings.objects.filter(merchant=merchant).first()
    return found or OrderSettings(city=merchant.city, merchant=merchant)


def takes_orders(*, merchant: Merchant) -> bool:
    found = OrderSettings.objects.filter(merchant=merchant).first()
    return bool(found and found.takes_orders and (found.pickup or found.delivery))


def products_of(*, merchant: Merchant, listed_only: bool = True) -> QuerySet[Product]:
    rows = Product.objects.filter(merchant=merchant)
    return rows.filter(is_listed=True) if listed_only else rows


def access_product(*, merchant: Merchant, code: str) -> Product:
    product = Product.objects.filter(merchant=merchant, code=code).first()
    if product is None:
        raise Http404("no such product")
    return product


def _with_lines(rows: QuerySet[Order]) -> QuerySet[Order]:
    return rows.select_related("merchant", "citizen").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    )


def access_order(*, user: Any, code: str) -> tuple[Order, str]:
    """The order ``code`` and the side ``user`` is on (citizen or merchant); a 404 for
    anybody else, and for another town's order."""
    order = _with_lines(Order.objects.filter(code=code)).first()
    if order is None or not user.is_authenticated:
        raise Http404("no such order")
    if order.citizen_id == user.pk:
        return order, Side.CITIZEN
    if merchant_role(user=user, merchant=order.merchant) is not None:
        return order, Side.MERCHANT
    raise Http404("no such order")


def card_of(*, order: Order) -> Card | None:
    """The active city card of the order's citizen in its town (the newest), if any."""
    member = loyalty.member_of(city=order.city, user=order.citizen)
    if member is None:
        return None
    return member.cards.filter(status=Card.Status.ACTIVE).order_by("-created_at").first()


def card_value_minor(*, city: Any, points: int, purse_minor: int, voucher_minor: int) -> int:
    """What a payment with the city card is worth: points, the purse and a voucher."""
    return redemption_value_minor(city=city, points=points) + purse_minor + voucher_minor


def chosen_card_value_minor(*, order: Order) -> int:
    """What the citizen chose to pay with the city card on handover is worth."""
    return card_value_minor(city=order.city, points=order.pay_points,
                            purse_minor=order.pay_purse_minor,
                            voucher_minor=order.pay_voucher_minor)  # fmt: skip


def orders_of(*, citizen: Any) -> QuerySet[Order]:
    return _with_lines(Order.objects.filter(citizen=citizen)).order_by("-created_at", "-pk")


def orders_of_conversation(*, conversation: Any) -> QuerySet[Order]:
    return Order.objects.filter(conversation=conversation).order_by("-created_at", "-pk")


BOARD_COLUMNS = (
    (State.REQUESTED,),
    (State.CONFIRMED,),
    (State.READY, State.OUT_FOR_DELIVERY),
    (State.COMPLETED, State.DECLINED, State.CANCELLED),
)


def board(*, merchant: Merchant, day: dt.date) -> list[tuple[tuple[str, ...], list[Order]]]:
    """The business's orders of ``day`` (town time) by state: those placed, due or closed
    that day, and every open order of earlier days (nothing open is ever lost)."""
    tz = zoneinfo.ZoneInfo(merchant.city.time_zone)
    start = dt.datetime.combine(day, dt.time(), tz)
    end = start + dt.timedelta(days=1)
    within = Q(created_at__gte=start, created_at__lt=end) | Q(
        pickup_at__gte=start, pickup_at__lt=end
    )
    within |= Q(ready_at__gte=start, ready_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
    older_open = Q(created_at__lt=end) & ~Q(state__in=CLOSED_STATES)
    rows = list(
        _with_lines(Order.objects.filter(merchant=merchant).filter(within | older_open)).order_by(
            "pickup_at", "created_at", "pk"
        )
    )
    return [
        (states, [order for order in rows if order.state in states]) for states in BOARD_COLUMNS
    ]


def open_orders_count(*, merchant: Merchant) -> int:
    return Order.objects.filter(merchant=merchant, state=State.REQUESTED).count()


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    free: int | None  # None: no limit

    @property
    def value(self) -> str:
        return self.start.isoformat()


def _local(day: dt.date, hhmm: str, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    if hhmm == "24:00":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tz)


def pickup_slots(*, merchant: Merchant, now: dt.datetime, with_full: bool = False) -> list[Slot]:
    """The pickup slots of the coming days, by the opening hours and the order settings:
    each starts at least the preparation time from ``now`` and fits before closing; a
    full slot is left out (unless ``with_full``)."""
    rules = settings_of(merchant=merchant)
    tz = zoneinfo.ZoneInfo(merchant.city.time_zone)
    earliest = now + dt.timedelta(minutes=rules.lead_minutes)
    length = dt.timedelta(minutes=rules.slot_minutes)
    today = now.astimezone(tz).date()
    starts: list[dt.datetime] = []
    for offset in range(rules.days_ahead):
        day = today + dt.timedelta(days=offset)
        for opens, closes in merchant.opening_hours.get(WEEKDAYS[day.weekday()], []):
            start, end = _local(day, opens, tz), _local(day, closes, tz)
            while start + length <= end:
                if start >= earliest:
                    starts.append(start)
                start += length
    if not starts:
        return []
    taken: dict[dt.datetime, int] = {}
    if rules.orders_per_slot:
        taken = dict(
            Order.objects.filter(merchant=merchant, pickup_at__in=starts)
            .exclude(state__in=(State.DECLINED, State.CANCELLED))
            .values_list("pickup_at")
            .annotate(n=Count("pk"))
            .values_list("pickup_at", "n")
        )
    slots = []
    for start in starts:
        free = None
        if rules.orders_per_slot:
            free = rules.orders_per_slot - taken.get(start, 0)
            if free <= 0 and not with_full:
                continue
        slots.append(Slot(start=start, free=free))
    return slots
