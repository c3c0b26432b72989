"""Rewards for points and member-only events."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.ledger.errors import InsufficientFunds
from marktplatz.ledger.models import Account, AccountKind
from marktplatz.ledger.services import Leg, account_open, transaction_post
from marktplatz.loyalty.cardnumbers import new_qr_token
from marktplatz.loyalty.errors import LoyaltyError, RedemptionRefused
from marktplatz.loyalty.models import (
    Booking,
    BookingKind,
    Member,
    MemberEvent,
    Reward,
    RewardClaim,
    Rsvp,
)
from marktplatz.loyalty.services import (
    _consume_lots,
    booking_lock,
    merchant_account,
    points_ledger,
)

CLAIM_PREFIX = "MPR1-"


class RewardUnavailable(LoyaltyError):
    code = "reward_unavailable"
    status = 409


class EventFull(LoyaltyError):
    code = "event_full"
    status = 409


def _issuer_account(reward: Reward) -> Account:
    if reward.merchant_id:
        return merchant_account(merchant=reward.merchant)
    return account_open(
        ledger=points_ledger(city=reward.city),
        kind=AccountKind.OPERATOR,
        reference="operator:rewards",
        name="rewards",
    )


def reward_claim(*, member: Member, reward: Reward, idempotency_key: str) -> RewardClaim:
    """Spend points on a reward: stock and the per-person limit hold under concurrency."""
    request = {"op": "reward", "reward": reward.code, "member": member.code}
    with transaction.atomic():
        # The card's accounts first (the order of every booking), then the reward's row,
        # which serialises claims of it: stock and limits stay exact.
        issuer = _issuer_account(reward)
        locked, _earlier = booking_lock(
            city=member.city, member=member, other=issuer, request=request
        )
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        earlier = RewardClaim.objects.filter(
            booking__transaction__idempotency_key=idempotency_key, member=member
        ).first()
        if earlier is not None:
            return earlier
        if not reward.is_active or (reward.stock is not None and reward.stock < 1):
            raise RewardUnavailable(_("This reward is no longer available."))
        taken = RewardClaim.objects.filter(reward=reward, member=member).count()
        if taken >= reward.per_person_limit:
            raise RewardUnavailable(
                _("You already have this reward as often as allowed (%(n)s).")
                % {"n": reward.per_person_limit}
            )
        if locked[member.debt_account_id].balance < 0:
            raise RedemptionRefused(_("Points of a refunded purchase are still owed."))
        try:
            txn, _created = transaction_post(
                ledger=points_ledger(city=member.city),
                legs=[Leg(member.account, issuer, reward.points, "reward")],
                reason_code="reward",
                reason=reward.title,
                idempotency_key=idempotency_key,
                request=request,
                locked=locked,
            )
        except InsufficientFunds:
            raise InsufficientFunds(
                _("Not enough points: this reward costs %(n)s.") % {"n": reward.points}
            ) from None
        booking = Booking.objects.create(
            city=member.city,
            kind=BookingKind.REWARD,
            member=member,
            merchant=reward.merchant,
            points=reward.points,
            transaction=txn,
            reason=reward.title[:200],
        )
        _consume_lots(member, reward.points)
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        return RewardClaim.objects.create(
            city=member.city,
            reward=reward,
            member=member,
            booking=booking,
            token=CLAIM_PREFIX + new_qr_token().removeprefix("MPC1-"),
        )


def reward_fulfil(*, token: str, merchant: Any, actor: Any, actor_label: str = "") -> RewardClaim:
    """The issuing merchant (or the operator, merchant=None) hands out a claimed reward.

    ``actor_label`` names who acted when it was no person, e.g. a till's API key.
    """
    with transaction.atomic():
        claim = (
            RewardClaim.objects.select_for_update()
            .select_related("reward")
            .filter(token=token.strip().upper())
            .first()
        )
        if claim is None or claim.reward.merchant_id != (merchant.pk if merchant else None):
            raise RewardUnavailable(_("No reward with this code to collect here."))
        if claim.status == RewardClaim.Status.FULFILLED:
            raise RewardUnavailable(
                _("This reward was already collected on %(date)s.")
                % {"date": timezone.localtime(claim.fulfilled_at).strftime("%d.%m.%Y %H:%M")}
            )
        claim.status = RewardClaim.Status.FULFILLED
        claim.fulfilled_at = timezone.now()
        claim.fulfilled_by = actor
        claim.save(update_fields=["status", "fulfilled_at", "fulfilled_by"])
        audit_record(
            city=claim.city,
            actor=actor,
            action="reward.fulfilled",
            obj=claim.reward,
            data={"claim": claim.token[-6:], **({"by": actor_label} if actor_label else {})},
        )
    return claim


def event_rsvp(*, event: MemberEvent, member: Member) -> Rsvp:
    """Take a place at a member event; the capacity holds under concurrency."""
    with transaction.atomic():
        event = MemberEvent.objects.select_for_update().get(pk=event.pk)
        existing = Rsvp.objects.filter(event=event, member=member).first()
        if existing is not None:
            return existing
        if not event.is_published or event.starts_at < timezone.now():
            raise EventFull(_("Registration for this event is closed."))
        if Rsvp.objects.filter(event=event).count() >= event.capacity:
            raise EventFull(_("All places are taken."))
        try:
            with transaction.atomic():
                return Rsvp.objects.create(city=event.city, event=event, member=member)
        except IntegrityError:
            return Rsvp.objects.get(event=event, member=member)


def event_cancel(*, event: MemberEvent, member: Member) -> None:
    Rsvp.objects.filter(event=event, member=member).delete()
