"""Offers a purchase can use at the till, from whichever app publishes offers.

The card does not know where offers come from: an app that publishes them (the
messenger) answers ``till_offers_wanted`` with the live offers of a business, and the
till (the POS page and the POS API) books a purchase with the one the customer used. Its
bonus points go onto the same earn booking, which keeps the offer's code, so that the
publisher can count redemptions from ``booking_created``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

# Sent with ``merchant`` and ``today`` (the town's date); a receiver answers a list of
# TillOffer, the live offers a purchase at that business can use.
till_offers_wanted = Signal()


@dataclass(frozen=True)
class TillOffer:
    code: str
    title: str
    bonus_points: int = 0
    ends_on: dt.date | None = None


def till_offers(*, merchant: Any, today: dt.date) -> list[TillOffer]:
    """Every live offer a purchase at ``merchant`` can use today, by title."""
    offers: list[TillOffer] = []
    for _receiver, answer in till_offers_wanted.send(
        sender=TillOffer, merchant=merchant, today=today
    ):
        offers.extend(answer or [])
    return sorted(offers, key=lambda offer: (offer.title.casefold(), offer.code))


def till_offer(*, merchant: Any, code: str, today: dt.date) -> TillOffer | None:
    """The live offer ``code`` of ``merchant`` (None if it is not one today)."""
    return next(
        (offer for offer in till_offers(merchant=merchant, today=today) if offer.code == code),
        None,
    )
