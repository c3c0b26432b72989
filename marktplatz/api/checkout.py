"""Paying one purchase with city-card points, the card's purse and a city voucher
together.

The points (points ledger), the purse and the voucher (currency ledger) are separate
ledger transactions, written in one database transaction: all or none. A retry with the
same key returns the first results (each part keeps its own idempotency key, derived from
the one key).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from marktplatz.ledger.services import lock_accounts
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.errors import BadAmount
from marktplatz.loyalty.models import Booking
from marktplatz.purses.services import PurseRedemptionResult, purse_of, purse_pay
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.errors import VoucherNotFound
from marktplatz.vouchers.models import VoucherRedemption
from marktplatz.vouchers.throttle import used_up_as_unknown


@dataclass
class Checkout:
    points: Booking | None
    voucher: VoucherRedemption | None
    purse: PurseRedemptionResult | None
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
    purse_amount: int = 0,
    actor_label: str = "",
) -> Checkout:
    if not (card and (points or purse_amount)) and not (voucher_code and voucher_amount):
        raise BadAmount(_("Pay with points, the card's purse, a voucher or several of them."))
    with transaction.atomic():
        booking = payment = from_purse = None
        created = False
        the_card = loyalty.card_lookup(city=city, identifier=card) if card else None
        # Every account of every part at once, in primary-key order, before any part
        # books: parts taken one after the other would lock in another order than a
        # booking of one part alone, and the two could deadlock.
        accounts = []
        if the_card and purse_amount:
            accounts += [entry.voucher.account for entry in purse_of(card=the_card)]
        if the_card and points:
            member = the_card.member
            accounts += [member.account, member.debt_account]
            accounts.append(loyalty.merchant_account(merchant=merchant))
        if voucher_code and voucher_amount:
            # An unknown code: the voucher part below answers for it.
            with contextlib.suppress(VoucherNotFound):
                accounts.append(vouchers.voucher_lookup(city=city, code=voucher_code).account)
        if (the_card and purse_amount) or (voucher_code and voucher_amount):
            accounts.append(vouchers.merchant_voucher_account(merchant=merchant))
        lock_accounts(accounts)
        if card and purse_amount:
            from_purse = purse_pay(
                city=city,
                merchant=merchant,
                card=the_card,
                amount_minor=purse_amount,
                idempotency_key=f"{idempotency_key}:purse",
                actor_label=actor_label,
            )
            created = from_purse.created
        if card and points:
            booking, points_created = loyalty.redeem(
                city=city,
                merchant=merchant,
                card=the_card,
                points=points,
                idempotency_key=f"{idempotency_key}:points",
                actor_label=actor_label,
            )
            created = created or points_created
        if voucher_code and voucher_amount:
            with used_up_as_unknown():
                payment, voucher_created = vouchers.voucher_redeem(
                    city=city,
                    merchant=merchant,
                    code=voucher_code,
                    amount_minor=voucher_amount,
                    idempotency_key=f"{idempotency_key}:voucher",
                    actor_label=actor_label,
                )
            created = created or voucher_created
    return Checkout(points=booking, voucher=payment, purse=from_purse, created=created)
