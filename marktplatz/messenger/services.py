"""Writes of the City Messenger: follows and offers. Each is audit-logged with its change
and answers a repeated request like the first (pressing a button twice changes nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from marktplatz.audit.services import audit_record
from marktplatz.core.once import row_once
from marktplatz.merchants.models import Merchant
from marktplatz.messenger.models import Follow, Offer, OfferDay, SavedOffer
from marktplatz.notifications.models import Kind
from marktplatz.notifications.paths import town_path
from marktplatz.notifications.services import notify_many


def _follow(*, city: Any, user: Any, merchant: Merchant | None, category: str) -> Follow:
    return row_once(Follow, city=city, user=user, merchant=merchant, category=category)[0]


def merchant_follow(*, user: Any, merchant: Merchant) -> Follow:
    """``user`` follows ``merchant`` (a public business of the active town)."""
    return _follow(city=merchant.city, user=user, merchant=merchant, category="")


def merchant_unfollow(*, user: Any, merchant: Merchant) -> bool:
    """Whether there was a follow to end."""
    deleted, _rows = Follow.objects.filter(user=user, merchant=merchant).delete()
    return bool(deleted)


def category_follow(*, city: Any, user: Any, category: str) -> Follow:
    return _follow(city=city, user=user, merchant=None, category=category)


def category_unfollow(*, user: Any, category: str) -> bool:
    deleted, _rows = Follow.objects.filter(user=user, merchant=None, category=category).delete()
    return bool(deleted)


def offer_save(*, offer: Offer, actor: Any, publish: bool = False) -> Offer:
    """Create or change ``offer`` (filled in by a form); ``publish`` also publishes it.

    A new offer whose ``form_key`` made an offer already is that offer (the form was sent
    twice). Publishing an offer that is published already changes nothing about its
    publication; a withdrawn offer stays withdrawn.
    """
    created = offer.pk is None
    if created and offer.form_key:
        earlier = Offer.objects.filter(form_key=offer.form_key).first()
        if earlier is not None:
            return earlier
    try:
        with transaction.atomic():
            _offer_write(offer=offer, actor=actor, publish=publish, created=created)
    except IntegrityError:
        if not (created and offer.form_key):
            raise
        # The same form sent twice at once: the other request created the offer.
        return Offer.objects.get(form_key=offer.form_key)
    return offer


def _offer_write(*, offer: Offer, actor: Any, publish: bool, created: bool) -> None:
    if created:
        offer.created_by = actor
    published_now = publish and offer.published_at is None
    if published_now:
        offer.published_at = timezone.now()
    offer.save()
    if published_now and offer.merchant_id:
        _tell_followers(offer)
    audit_record(
        city=offer.city,
        actor=actor,
        action="offer.created" if created else "offer.changed",
        obj=offer,
        data={"published": offer.published_at is not None, "audience": offer.audience},
    )


def _tell_followers(offer: Offer) -> int:
    """A notification for every follower of the business or of its kind (once each)."""
    merchant = offer.merchant
    followers = Follow.objects.filter(
        Q(merchant=merchant) | Q(merchant__isnull=True, category=merchant.category),
        city=offer.city,
    ).values_list("user_id")
    return notify_many(
        city=offer.city,
        user_ids=followers,
        kind=Kind.OFFER,
        event={"offer": offer.code, "shop": merchant.name, "title": offer.title},
        url=town_path("offer_detail", offer.code),
    )


def offer_withdraw(*, offer: Offer, actor: Any) -> bool:
    """Take a published offer down for good; whether this call withdrew it."""
    with transaction.atomic():
        changed = Offer.objects.filter(
            pk=offer.pk, published_at__isnull=False, withdrawn_at__isnull=True
        ).update(withdrawn_at=timezone.now())
        if changed:
            offer.refresh_from_db(fields=["withdrawn_at", "updated_at"])
            audit_record(city=offer.city, actor=actor, action="offer.withdrawn", obj=offer)
    return bool(changed)


# --- Figures --------------------------------------------------------------------------
#
# Counted per offer and day, never per person. That a person was counted already today is
# kept for a day in the cache under a keyed hash of (person, offer, kind, day), so that
# nothing in the database links a person to the offers they looked at.

COUNTED_KINDS = ("impressions", "opens", "shares")
SEEN_SECONDS = 26 * 3600


def _first_time_today(*, viewer: str, offer: Offer, kind: str, day: dt.date) -> bool:
    key = salted_hmac("offer-seen", f"{viewer}|{offer.pk}|{kind}|{day.isoformat()}").hexdigest()
    return cache.add(f"offer-seen:{key}", 1, SEEN_SECONDS)


def _count(*, offer: Offer, kind: str, day: dt.date) -> None:
    counted = OfferDay.objects.filter(offer=offer, day=day).update(**{kind: F(kind) + 1})
    if counted:
        return
    try:
        with transaction.atomic():
            OfferDay.objects.create(city=offer.city, offer=offer, day=day, **{kind: 1})
    except IntegrityError:
        # The day's row was made by a request at the same time.
        OfferDay.objects.filter(offer=offer, day=day).update(**{kind: F(kind) + 1})


def offer_seen(*, offer: Offer, kind: str, viewer: str, day: dt.date) -> bool:
    """Count one impression, open or share of ``offer`` by ``viewer`` (an opaque id of
    the person or browser); whether it counted (once per viewer, kind and day)."""
    if kind not in COUNTED_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not viewer or not _first_time_today(viewer=viewer, offer=offer, kind=kind, day=day):
        return False
    _count(offer=offer, kind=kind, day=day)
    return True


def offer_redeemed(*, booking: Any) -> bool:
    """Count the purchase ``booking`` as a redemption of the offer it used at the till
    (sent once per booking: on ``booking_created``, which a replay does not send)."""
    if not booking.offer_code or booking.merchant_id is None:
        return False
    offer = Offer.objects.filter(code=booking.offer_code, merchant_id=booking.merchant_id).first()
    if offer is None:
        return False
    _count(offer=offer, kind="redemptions", day=booking.city.local_date(booking.created_at))
    return True


def offer_save_for_later(*, user: Any, offer: Offer, day: dt.date) -> SavedOffer:
    """Keep ``offer`` for ``user``; saving it again changes nothing."""
    return row_once(
        SavedOffer,
        city=offer.city,
        user=user,
        offer=offer,
        then=lambda: _count(offer=offer, kind="saves", day=day),
    )[0]


def offer_unsave(*, user: Any, offer: Offer) -> bool:
    deleted, _rows = SavedOffer.objects.filter(user=user, offer=offer).delete()
    return bool(deleted)
