"""Paying one purchase with city-card points and a city voucher together.

The points (points ledger) and the voucher (currency ledger) are two ledger transactions,
written in one database transaction: both or neither. A retry with the same key returns
both first results (each part keeps its own idempotency key, derived from the one key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.errors import BadAmount
from marktplatz.loyalty.models import Booking
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherRedemption


@dataclass
class Checkout:
    points: Booking | None
    voucher: VoucherRedemption | None
    created: bool


def checkout_pay(
    *,
    city: Any,
    merchant: Any,
    idempotency_key: str,
    card: str | None = None,
    points: int = 0,
    voucher_code: str | None = None,
    voucher_amount: int = 0,
    actor_label: str = "",
) -> Checkout:
    if not (card and points) and not (voucher_code and voucher_amount):
        raise BadAmount(_("Pay with points, a voucher or both."))
    with transaction.atomic():
        booking = payment = None
        created = False
        if card and points:
            booking, created = loyalty.redeem(
                city=city,
                merchant=merchant,
                card=loyalty.card_lookup(city=city, identifier=card),
                points=points,
                idempotency_key=f"{idempotency_key}:points",
                actor_label=actor_label,
            )
        if voucher_code and voucher_amount:
            payment, voucher_created = vouchers.voucher_redeem(
                city=city,
                merchant=merchant,
                code=voucher_code,
                amount_minor=voucher_amount,
                idempotency_key=f"{idempotency_key}:voucher",
                actor_label=actor_label,
            )
            created = created or voucher_created
    return Checkout(points=booking, voucher=payment, created=created)
