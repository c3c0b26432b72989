"""What the messenger answers and hears from the card: its offers at the till, and the
purchases booked with them (counted as redemptions)."""

from __future__ import annotations

from typing import Any

from marktplatz.core.tenancy import city_scope
from marktplatz.loyalty.offers import TillOffer
from marktplatz.messenger import selectors, services


def offers_for_till(sender: Any, *, merchant: Any, today: Any, **kwargs: Any) -> list[TillOffer]:
    with city_scope(merchant.city):
        return [
            TillOffer(
                code=offer.code,
                title=offer.title,
                bonus_points=offer.bonus_points,
                ends_on=offer.ends_on,
            )
            for offer in selectors.till_offers_of(merchant=merchant, today=today)
        ]


def redemption_counted(sender: Any, *, booking: Any, **kwargs: Any) -> None:
    if booking.offer_code:
        with city_scope(booking.city):
            services.offer_redeemed(booking=booking)
