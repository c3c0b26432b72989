"""Reading follows and offers of the active town."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.http import Http404

from marktplatz.accounts.selectors import is_operator, merchant_role
from marktplatz.merchants.models import Category, Merchant
from marktplatz.messenger.models import Audience, Follow, Offer, OfferDay, SavedOffer


def followed_merchants(*, user: Any) -> QuerySet[Merchant]:
    """The public businesses ``user`` follows in the active town, by name."""
    return Merchant.objects.filter(
        followers__user=user, status=Merchant.Status.APPROVED, is_active=True
    ).order_by("name")


def followed_categories(*, user: Any) -> list[str]:
    return sorted(
        Follow.objects.filter(user=user).exclude(category="").values_list("category", flat=True)
    )


def is_following(*, user: Any, merchant: Merchant) -> bool:
    if not user.is_authenticated:
        return False
    return Follow.objects.filter(user=user, merchant=merchant).exists()


def follower_count(*, merchant: Merchant) -> int:
    return Follow.objects.filter(merchant=merchant).count()


def _live(today: dt.date) -> QuerySet[Offer]:
    """Published, not withdrawn, shown today, of the town or of a public business."""
    return Offer.objects.filter(
        Q(merchant__isnull=True)
        | Q(merchant__status=Merchant.Status.APPROVED, merchant__is_active=True),
        published_at__isnull=False,
        withdrawn_at__isnull=True,
        starts_on__lte=today,
        ends_on__gte=today,
    ).select_related("merchant")


def _follows_of(user: Any, *, merchant_field: str = "merchant") -> Q:
    """Offers of businesses ``user`` follows, by name or by category."""
    merchants = Follow.objects.filter(user=user, merchant=OuterRef(merchant_field))
    categories = Follow.objects.filter(user=user, category=OuterRef(f"{merchant_field}__category"))
    return Q(Exists(merchants)) | Q(Exists(categories))


def offer_feed(*, user: Any, today: dt.date) -> QuerySet[Offer]:
    """The offers a person sees today: those of followed businesses (and kinds of
    business) first, then the rest of the town's; the newest first within each.

    An offer for followers only reaches followers; everybody sees offers for the whole
    town, and the operator's (which have no business) are for the whole town.
    """
    offers = _live(today)
    if not user.is_authenticated:
        return offers.filter(audience=Audience.TOWN).order_by("-starts_on", "-published_at")
    followed = _follows_of(user)
    return (
        offers.filter(Q(audience=Audience.TOWN) | followed)
        .annotate(
            followed=Case(
                When(followed, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("followed", "-starts_on", "-published_at")
    )


def live_offers_of(*, merchant: Merchant, user: Any, today: dt.date) -> QuerySet[Offer]:
    """What the business's public page shows: its live offers the visitor may see."""
    return offer_feed(user=user, today=today).filter(merchant=merchant)


def till_offers_of(*, merchant: Merchant, today: dt.date) -> QuerySet[Offer]:
    """The business's own live offers, which a purchase at its till can use (the town's
    offers are not redeemed at a till: their bonus would be the business's cost)."""
    return _live(today).filter(merchant=merchant).order_by("title")


def visible_offer(*, code: str, user: Any, today: dt.date) -> Offer:
    """A live offer the person may see; staff of its business and the operator also see
    it before and after it is live. Anything else is a 404."""
    offer = Offer.objects.filter(code=code).select_related("merchant", "reward").first()
    if offer is None:
        raise Http404("no such offer")
    if manages_offer(user=user, offer=offer):
        return offer
    if not offer_feed(user=user, today=today).filter(pk=offer.pk).exists():
        raise Http404("no such offer")
    return offer


def manages_offer(*, user: Any, offer: Offer) -> bool:
    """Whether ``user`` works for the offer's business, or is the town's operator."""
    if not user.is_authenticated:
        return False
    if is_operator(user=user):
        return True
    return (
        offer.merchant is not None and merchant_role(user=user, merchant=offer.merchant) is not None
    )


def offers_of_merchant(*, merchant: Merchant) -> QuerySet[Offer]:
    return Offer.objects.filter(merchant=merchant).order_by("-starts_on", "-created_at")


def offers_of_town() -> QuerySet[Offer]:
    """The operator's own offers (those of no business)."""
    return Offer.objects.filter(merchant__isnull=True).order_by("-starts_on", "-created_at")


def offer_for_editing(*, code: str, merchant: Merchant | None) -> Offer:
    """An offer of ``merchant`` (of the operator for None) by code, else a 404."""
    offer = Offer.objects.filter(code=code, merchant=merchant).first()
    if offer is None:
        raise Http404("no such offer")
    return offer


def category_choices() -> list[tuple[str, str]]:
    return list(Category.choices)


# --- Figures --------------------------------------------------------------------------

FIGURES = ("impressions", "opens", "saves", "shares", "redemptions")


def _rates(totals: dict[str, int]) -> dict[str, float | None]:
    """Each later step as a share of the impressions (None before the first one)."""
    seen = totals["impressions"]
    return {kind: (totals[kind] / seen if seen else None) for kind in FIGURES[1:]}


def offer_figures(*, offers: list[Offer]) -> dict[int, dict]:
    """Totals and rates of each offer (by primary key), zero for an offer never seen."""
    rows = (
        OfferDay.objects.filter(offer__in=offers)
        .values("offer_id")
        .annotate(**{kind: Sum(kind) for kind in FIGURES})
    )
    found = {row["offer_id"]: {kind: row[kind] or 0 for kind in FIGURES} for row in rows}
    figures = {}
    for offer in offers:
        totals = found.get(offer.pk, dict.fromkeys(FIGURES, 0))
        figures[offer.pk] = {**totals, "rates": _rates(totals)}
    return figures


def town_average() -> dict:
    """The town's figures over all offers that were seen: the average to compare with."""
    totals = OfferDay.objects.aggregate(**{kind: Sum(kind) for kind in FIGURES})
    totals = {kind: totals[kind] or 0 for kind in FIGURES}
    return {**totals, "rates": _rates(totals)}


def seen_offers(*, codes: list[str], user: Any, today: dt.date) -> list[Offer]:
    """The offers of ``codes`` that ``user`` may see today (others are left out)."""
    return list(offer_feed(user=user, today=today).filter(code__in=codes[:50]))


def saved_offers(*, user: Any, today: dt.date) -> QuerySet[Offer]:
    """The person's saved offers that are still live, the most recently saved first."""
    return (
        offer_feed(user=user, today=today)
        .filter(saved_by__user=user)
        .order_by("-saved_by__created_at")
    )


def saved_codes(*, user: Any) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(SavedOffer.objects.filter(user=user).values_list("offer__code", flat=True))
