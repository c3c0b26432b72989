"""Earning and redeeming with the city card. Points move only through the ledger.

Refunds (decided, documented in docs/loyalty.md, tested): a refund takes back the points
the purchase earned, in proportion to the refunded amount. Points still on the card are
taken back at once. Points already spent become a debt of the member: they are booked
against the member's debt account, the next points earned repay the debt first, and the
member cannot redeem while a debt is open. So buying, redeeming and refunding never
leaves anyone with points they did not pay for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.core.ids import new_code
from marktplatz.core.memo import remember
from marktplatz.core.sqlops import prepared_row
from marktplatz.ledger.errors import IdempotencyConflict, InsufficientFunds
from marktplatz.ledger.models import Account, AccountKind, Ledger
from marktplatz.ledger.services import (
    Leg,
    account_open,
    ledger_for,
    lock_for_posting,
    replay,
    request_fingerprint,
    transaction_post,
)
from marktplatz.loyalty.cardnumbers import (
    is_valid_number,
    new_number,
    new_qr_token,
    normalise_number,
)
from marktplatz.loyalty.errors import (
    BadAmount,
    CardBlocked,
    CardNotFound,
    MerchantNotAccepting,
    NotRefundable,
    OfferUnavailable,
    RedemptionRefused,
    WrongCurrency,
)
from marktplatz.loyalty.models import (
    Booking,
    BookingKind,
    Campaign,
    Card,
    CardBatch,
    Member,
    MerchantRules,
    PointsLot,
    Programme,
)
from marktplatz.loyalty.offers import till_offer
from marktplatz.loyalty.rules import refund_check

POINTS = "points"

# Sent after the transaction of a new booking commits (the api app turns it into webhooks).
booking_created = Signal()


def _announce(booking: Booking) -> None:
    transaction.on_commit(lambda: booking_created.send(sender=Booking, booking=booking))


# --- Accounts ---------------------------------------------------------------------------


def points_ledger(*, city: Any) -> Ledger:
    return ledger_for(city=city, asset=POINTS)


# Rules are read on every booking; an operator's change reaches other servers within this.
RULES_TTL = 30


def programme_for(*, city: Any) -> Programme:
    """The town's rules (read-only: change them with a fresh instance and save())."""
    return remember(
        ("programme", city.pk),
        RULES_TTL,
        lambda: Programme.objects.get_or_create(city_id=city.pk)[0],
    )


def merchant_account(*, merchant: Any) -> Account:
    """Points a merchant issues come from here (negative: owed); redeemed ones go here.

    The instance is shared: use it to name the account in legs, not to read its balance.
    """
    return remember(
        ("account", f"merchant:{merchant.code}"),
        3600,
        lambda: account_open(
            ledger=points_ledger(city=merchant.city),
            kind=AccountKind.MERCHANT,
            reference=f"merchant:{merchant.code}",
            name=merchant.name,
            allow_negative=True,
        ),
    )


def operator_account(*, city: Any, purpose: str) -> Account:
    """The operator's accounts: "bonus" (issues bonuses), "breakage" (expired points)."""
    kinds = {"bonus": AccountKind.ISSUANCE, "breakage": AccountKind.BREAKAGE}
    return remember(
        ("account", city.pk, f"operator:{purpose}"),
        3600,
        lambda: account_open(
            ledger=points_ledger(city=city),
            kind=kinds[purpose],
            reference=f"operator:{purpose}",
            name=purpose,
            allow_negative=purpose == "bonus",
        ),
    )


def member_create(*, city: Any, user: Any = None) -> Member:
    ledger = points_ledger(city=city)
    member = Member(city=city, user=user)
    member.account = account_open(
        ledger=ledger, kind=AccountKind.CUSTOMER, reference=f"member:{member.code}"
    )
    member.debt_account = account_open(
        ledger=ledger,
        kind=AccountKind.RECEIVABLE,
        reference=f"member-debt:{member.code}",
        allow_negative=True,
    )
    member.save()
    return member


def card_issue(*, member: Member, form: str, batch: CardBatch | None = None) -> Card:
    return Card.objects.create(
        city=member.city,
        member=member,
        number=new_number(),
        qr_token=new_qr_token(),
        form=form,
        batch=batch,
    )


def member_for_user(*, city: Any, user: Any) -> Member:
    """The citizen's membership in the town, joining it if needed (see member_join).

    For the demo, tests and scripts. Pages never call it: they look the member up with
    ``selectors.member_of`` and join only on the visitor's explicit POST."""
    return member_join(city=city, user=user)[0]


def card_batch_issue(*, city: Any, actor: Any, size: int, note: str = "") -> CardBatch:
    """Anonymous plastic cards, each with a member (and account) of its own until claimed."""
    with transaction.atomic():
        batch = CardBatch.objects.create(city=city, size=size, note=note, created_by=actor)
        for _index in range(size):
            card_issue(member=member_create(city=city), form=Card.Form.PLASTIC, batch=batch)
        audit_record(
            city=city, actor=actor, action="card_batch.issued", obj=batch, data={"size": size}
        )
    return batch


# --- Cards at the counter ---------------------------------------------------------------


def _card_identifier(identifier: str) -> tuple[str | None, str | None]:
    """(number, QR token) of what was scanned or typed; CardNotFound if it is neither."""
    identifier = (identifier or "").strip()
    if identifier.upper().startswith("MPC1-"):
        return None, identifier.upper()
    if is_valid_number(identifier):
        return normalise_number(identifier), None
    raise CardNotFound()


def card_lookup(*, city: Any, identifier: str) -> Card:
    """A card of the town by its QR token or printed number; blocked cards are refused."""
    number, qr_token = _card_identifier(identifier)
    found = Card.objects.filter(city=city).select_related("member__account", "member__debt_account")
    card = (
        found.filter(qr_token=qr_token).first() if qr_token else found.filter(number=number).first()
    )
    if card is None:
        raise CardNotFound()
    if card.status != Card.Status.ACTIVE:
        raise CardBlocked()
    return card


def _check_merchant(merchant: Any) -> None:
    if not merchant.takes_payments:
        raise MerchantNotAccepting()


def rate_for(*, programme: Programme, merchant: Any) -> int:
    rules = remember(
        ("rules", merchant.pk),
        RULES_TTL,
        lambda: MerchantRules.objects.filter(merchant_id=merchant.pk).first() or False,
    )
    if not rules:
        return programme.points_per_unit
    return min(
        max(rules.points_per_unit, programme.merchant_min_points_per_unit),
        programme.merchant_max_points_per_unit,
    )


def campaign_percent(*, city: Any, merchant: Any, now: dt.datetime) -> int:
    """The highest multiplier of the campaigns running now for this merchant (100: none)."""

    def load() -> list[tuple[dt.datetime, dt.datetime, int | None, int]]:
        return list(
            Campaign.objects.filter(city_id=city.pk, ends_at__gt=timezone.now()).values_list(
                "starts_at", "ends_at", "merchant_id", "multiplier_percent"
            )
        )

    campaigns = remember(("campaigns", city.pk), RULES_TTL, load)
    running = [
        percent
        for starts, ends, merchant_id, percent in campaigns
        if starts <= now < ends and merchant_id in (None, merchant.pk)
    ]
    return max(running, default=100)


def _day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _replayed(city: Any, key: str | None, request: dict) -> Booking | None:
    if not key:
        return None
    earlier = replay(ledger=points_ledger(city=city), idempotency_key=key, request=request)
    return Booking.objects.get(transaction=earlier) if earlier is not None else None


def _expires_at(now: dt.datetime, months: int) -> dt.datetime:
    return now + dt.timedelta(days=round(months * 30.44))


def _add_lot(member: Member, booking: Booking, points: int, expires_at: dt.datetime) -> None:
    if points <= 0:
        return
    PointsLot.objects.create(
        city_id=member.city_id,
        member=member,
        booking=booking,
        points=points,
        remaining=points,
        expires_at=expires_at,
    )


def _consume_lots(member: Member, points: int, first_booking: Booking | None = None) -> None:
    """Use up ``points`` from the member's lots: a given booking's first, then oldest."""
    lots = list(
        PointsLot.objects.filter(member=member, remaining__gt=0)
        .select_for_update()
        .order_by("expires_at", "pk")
    )
    if first_booking is not None:
        lots.sort(key=lambda lot: lot.booking_id != first_booking.pk)
    for lot in lots:
        if points <= 0:
            break
        used = min(points, lot.remaining)
        lot.remaining -= used
        points -= used
        lot.save(update_fields=["remaining"])


def booking_lock(
    *,
    city: Any,
    member: Member,
    other: Account | None = None,
    key: str | None = None,
    request: dict | None = None,
) -> tuple[dict[int, Account], Booking | None]:
    """Lock the card's accounts (points and debt) and the other side's (the business, the
    operator), and find an earlier booking of ``key``: the start of every points booking
    (see ``lock_for_posting``).

    Must be called inside ``transaction.atomic``, before any other lock. The debt, the
    balance, the day's earnings and the member's points lots are read only after this.
    """
    accounts = [member.account, member.debt_account]
    if other is not None:
        accounts.append(other)
    locked, earlier = lock_for_posting(
        ledger=points_ledger(city=city),
        accounts=accounts,
        idempotency_key=key,
        request=request or {},
    )
    return locked, Booking.objects.get(transaction=earlier) if earlier is not None else None


def earn(
    *,
    city: Any,
    merchant: Any,
    card: Card | str,
    purchase_minor: int,
    currency: str,
    idempotency_key: str | None,
    actor: Any = None,
    actor_label: str = "",
    now: dt.datetime | None = None,
    offer_code: str = "",
) -> tuple[Booking, bool]:
    """Book a purchase: points by turnover (plus a visit bonus), capped per card and day.

    ``card`` is the Card, or what the cashier scanned or typed (QR token or number).
    ``offer_code`` names the live offer of ``merchant`` the purchase used
    (loyalty.offers): its bonus points are added before the daily cap, and the booking
    keeps the code; one that is not live is refused (but a retry of a booking made with
    it while it was live replays that booking).
    Returns (booking, created); a retry with the same key returns the first booking.
    On PostgreSQL the part under the card's lock runs as one call of ``loyalty_earn``
    (migration 0007); the Python path below does the same for SQLite (and on PostgreSQL
    with ``LOYALTY_EARN_SQL=false``). The two are proven equal by a differential property
    test on PostgreSQL (tests/test_earn_paths.py); docs/benchmarks.md has the measurement
    that keeps the SQL path.
    """
    number, qr_token = (card.number, None) if isinstance(card, Card) else _card_identifier(card)
    request = {
        "op": "earn",
        "merchant": merchant.code,
        "card": qr_token or number,
        "purchase": purchase_minor,
        "currency": currency,
    }
    if offer_code:
        request["offer"] = offer_code
    programme = programme_for(city=city)
    if currency != city.currency:
        raise WrongCurrency(_("This town books in %(currency)s.") % {"currency": city.currency})
    if (
        isinstance(purchase_minor, bool)
        or not isinstance(purchase_minor, int)
        or purchase_minor <= 0
    ):
        raise BadAmount(_("The purchase amount must be greater than zero."))
    if purchase_minor > programme.max_purchase_minor:
        raise BadAmount(_("The purchase amount is implausibly large."))
    now = now or timezone.now()
    offer = None
    if offer_code:
        offer = till_offer(merchant=merchant, code=offer_code, today=city.local_date(now))
        if offer is None:
            earlier = _replayed(city, idempotency_key, request)
            if earlier is not None:
                return earlier, False
            raise OfferUnavailable()
    points = purchase_minor * rate_for(programme=programme, merchant=merchant) // 100
    points = points * campaign_percent(city=city, merchant=merchant, now=now) // 100
    points += programme.visit_bonus
    rules = {
        "points": points + (offer.bonus_points if offer else 0),
        "offer": offer.code if offer else "",
        "cap": programme.daily_cap_per_card,
        "day_start": _day_start(now),
        "expires_at": _expires_at(now, programme.expiry_months),
        "reason": _("Purchase at %(merchant)s") % {"merchant": merchant.name},
    }
    if connection.vendor == "postgresql" and settings.LOYALTY_EARN_SQL:
        return _earn_postgres(
            city, merchant, card, number, qr_token, purchase_minor, rules,
            idempotency_key, request, actor, actor_label,
        )  # fmt: skip
    earlier = _replayed(city, idempotency_key, request)
    if earlier is not None:
        return earlier, False
    _check_merchant(merchant)
    if not isinstance(card, Card):
        card = card_lookup(city=city, identifier=qr_token or number)
    elif card.status != Card.Status.ACTIVE:
        raise CardBlocked()
    member = card.member
    with transaction.atomic():
        # The daily cap and the debt are read under the lock of the member's accounts,
        # so two purchases at once cannot both use the rest of the cap.
        issuer = merchant_account(merchant=merchant)
        locked, earlier = booking_lock(
            city=city,
            member=member,
            other=issuer,
            key=idempotency_key,
            request=request,
        )
        if earlier is not None:
            return earlier, False
        since, earned = Member.objects.values_list("earned_since", "earned_since_points").get(
            pk=member.pk
        )
        earned_today = earned if since == rules["day_start"] else 0
        points = max(0, min(rules["points"], rules["cap"] - earned_today))
        if points == 0:
            raise _earn_refused("no_points")
        debt = -locked[member.debt_account_id].balance
        repay = max(0, min(debt, points))
        legs = [Leg(issuer, member.account, points, "earn")]
        if repay:
            legs.append(Leg(member.account, member.debt_account, repay, "debt.repaid"))
        txn, created = transaction_post(
            ledger=points_ledger(city=city),
            legs=legs,
            reason_code="earn",
            reason=rules["reason"],
            actor=actor,
            actor_label=actor_label,
            idempotency_key=idempotency_key,
            request=request,
            replay_checked=True,
            locked=locked,
        )
        if not created:
            return Booking.objects.get(transaction=txn), False
        Member.objects.filter(pk=member.pk).update(
            earned_since=rules["day_start"], earned_since_points=earned_today + points
        )
        booking = Booking.objects.create(
            city=city,
            kind=BookingKind.EARN,
            member=member,
            card=card,
            merchant=merchant,
            purchase_minor=purchase_minor,
            points=points,
            transaction=txn,
            offer_code=rules["offer"],
        )
        _add_lot(member, booking, points - repay, rules["expires_at"])
        booking.balance_after = txn.balances[member.account_id]
        _announce(booking)
    return booking, True


def _earn_refused(outcome: str) -> Exception:
    """The error for an outcome of ``loyalty_earn`` (or the same case in Python)."""
    if outcome == "no_points":
        return BadAmount(
            _("This purchase earns no points (too small, or the daily limit is reached).")
        )
    errors = {
        "conflict": IdempotencyConflict,
        "merchant_not_accepting": MerchantNotAccepting,
        "card_not_found": CardNotFound,
        "card_blocked": CardBlocked,
        "insufficient": InsufficientFunds,
    }
    return errors[outcome]()


EARN_SQL = (
    "SELECT * FROM loyalty_earn(%s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::text,"
    " %s::text, %s::bigint, %s::bigint, %s::bigint, %s::timestamptz, %s::timestamptz,"
    " %s::text, %s::text, %s::text, %s::bigint, %s::text, %s::timestamptz, %s::text[],"
    " %s::text)"
)


def _earn_postgres(
    city, merchant, card, number, qr_token, purchase_minor, rules, key, request, actor, label
) -> tuple[Booking, bool]:
    """One call of ``loyalty_earn``; see ``earn``."""
    codes = [new_code() for _index in range(4)]
    created_at = timezone.now()
    outcome, booking_id, card_id, card_number, member_id, points, balance, txn = prepared_row(
        EARN_SQL,
        [
            city.pk,
            points_ledger(city=city).pk,
            merchant.pk,
            merchant_account(merchant=merchant).pk,
            number,
            qr_token,
            purchase_minor,
            rules["points"],
            rules["cap"],
            rules["day_start"],
            rules["expires_at"],
            key,
            request_fingerprint(request),
            rules["reason"][:200],
            actor.pk if getattr(actor, "is_authenticated", False) else None,
            label[:120],
            created_at,
            codes,
            rules["offer"],
        ],
    )
    if outcome == "replayed":
        return Booking.objects.select_related("card", "merchant").get(pk=booking_id), False
    if outcome != "created":
        raise _earn_refused(outcome)
    if not isinstance(card, Card):
        card = Card(pk=card_id, city=city, number=card_number, member_id=member_id)
        card._state.adding = False
    booking = Booking(
        pk=booking_id,
        code=codes[3],
        city=city,
        kind=BookingKind.EARN,
        member_id=member_id,
        card=card,
        merchant=merchant,
        purchase_minor=purchase_minor,
        points=points,
        transaction_id=txn,
        offer_code=rules["offer"],
        created_at=created_at,
    )
    booking._state.adding = False
    booking.balance_after = balance
    _announce(booking)
    return booking, True


def redeem(
    *,
    city: Any,
    merchant: Any,
    card: Card,
    points: int,
    idempotency_key: str | None,
    actor: Any = None,
    actor_label: str = "",
) -> tuple[Booking, bool]:
    """Pay with points at a merchant; the oldest points are used first."""
    request = {"op": "redeem", "merchant": merchant.code, "card": card.code, "points": points}
    earlier = _replayed(city, idempotency_key, request)
    if earlier is not None:
        return earlier, False
    programme = programme_for(city=city)
    _check_merchant(merchant)
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise BadAmount(_("The number of points must be greater than zero."))
    if points < programme.min_redeem_points:
        raise RedemptionRefused(
            _("At least %(min)s points are needed to redeem.")
            % {"min": programme.min_redeem_points}
        )
    member = card.member
    with transaction.atomic():
        locked, earlier = booking_lock(
            city=city,
            member=member,
            other=merchant_account(merchant=merchant),
            key=idempotency_key,
            request=request,
        )
        if earlier is not None:
            return earlier, False
        if locked[member.debt_account_id].balance < 0:
            raise RedemptionRefused(
                _(
                    "Points of a refunded purchase are still owed; redeeming is possible again once they are repaid."
                )
            )
        try:
            txn, created = transaction_post(
                ledger=points_ledger(city=city),
                legs=[Leg(member.account, merchant_account(merchant=merchant), points, "redeem")],
                reason_code="redeem",
                reason=_("Paid with points at %(merchant)s") % {"merchant": merchant.name},
                actor=actor,
                actor_label=actor_label,
                idempotency_key=idempotency_key,
                request=request,
                replay_checked=True,
                locked=locked,
            )
        except InsufficientFunds as error:
            raise InsufficientFunds(
                _("Not enough points: %(available)s available.")
                % {"available": error.details.get("available", 0)},
                **error.details,
            ) from None
        if not created:
            return Booking.objects.get(transaction=txn), False
        booking = Booking.objects.create(
            city=city,
            kind=BookingKind.REDEEM,
            member=member,
            card=card,
            merchant=merchant,
            points=points,
            transaction=txn,
        )
        _consume_lots(member, points)
        _announce(booking)
    return booking, True


def redemption_value_minor(*, city: Any, points: int) -> int:
    """What ``points`` are worth in the town's currency (minor units, rounded down)."""
    return points * 100 // programme_for(city=city).points_per_unit_redeemed


def refund(
    *,
    booking: Booking,
    purchase_minor: int | None,
    idempotency_key: str | None,
    actor: Any = None,
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> tuple[Booking, bool]:
    """Take back the points of a refunded purchase (all of it, or ``purchase_minor``).

    Within the cancel window a cashier's full refund is booked as a cancellation.
    """
    city = booking.city
    request = {"op": "refund", "booking": booking.code, "purchase": purchase_minor}
    earlier = _replayed(city, idempotency_key, request)
    if earlier is not None:
        return earlier, False
    programme = programme_for(city=city)
    now = now or timezone.now()
    if booking.kind != BookingKind.EARN:
        raise NotRefundable(_("Only purchases that earned points can be refunded."))
    # Who may take back what, and until when: the rule the till pages follow too.
    partial = purchase_minor is not None
    refund_check(booking=booking, actor=actor, programme=programme, now=now, partial=partial)
    if now - booking.created_at > dt.timedelta(days=programme.refund_window_days):
        raise NotRefundable(
            _("Refunds are possible for %(days)s days.") % {"days": programme.refund_window_days}
        )
    member = booking.member
    with transaction.atomic():
        # Refunds of one booking queue here, under the card's and the business's locks.
        locked, earlier = booking_lock(
            city=city,
            member=member,
            other=merchant_account(merchant=booking.merchant),
            key=idempotency_key,
            request=request,
        )
        if earlier is not None:
            return earlier, False
        done = Booking.objects.filter(original=booking).aggregate(
            purchase=Sum("purchase_minor"), points=Sum("points")
        )
        refunded, points_back_so_far = done["purchase"] or 0, done["points"] or 0
        left = booking.purchase_minor - refunded
        amount = left if purchase_minor is None else purchase_minor
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise BadAmount(_("The refund amount must be greater than zero."))
        if amount > left:
            raise NotRefundable(
                _("At most %(left)s (in cents) of this purchase can still be refunded.")
                % {"left": left}
            )
        # Points in proportion to the money, rounded so that all refunds together take
        # back exactly the points of the purchase.
        points_back = booking.points * (refunded + amount) // booking.purchase_minor
        points_back -= points_back_so_far
        take = min(points_back, max(locked[member.account_id].available, 0))
        shortfall = points_back - take
        merchant_acc = merchant_account(merchant=booking.merchant)
        legs = []
        if take:
            legs.append(Leg(member.account, merchant_acc, take, "refund"))
        if shortfall:
            legs.append(Leg(member.debt_account, merchant_acc, shortfall, "refund.owed"))
        full_and_quick = (
            purchase_minor is None
            and refunded == 0
            and now - booking.created_at <= dt.timedelta(minutes=programme.cancel_window_minutes)
        )
        kind = BookingKind.CANCEL if full_and_quick else BookingKind.REFUND
        if not legs:
            # Nothing to take back (a purchase too small for a point): record the refund.
            raise NotRefundable(_("This refund takes back no points; nothing to book."))
        txn, created = transaction_post(
            ledger=points_ledger(city=city),
            legs=legs,
            reason_code=kind,
            reason=_("Refund at %(merchant)s") % {"merchant": booking.merchant.name},
            actor=actor,
            actor_label=actor_label,
            idempotency_key=idempotency_key,
            request=request,
            replay_checked=True,
            locked=locked,
        )
        if not created:
            return Booking.objects.get(transaction=txn), False
        correction = Booking.objects.create(
            city=city,
            kind=kind,
            member=member,
            card=booking.card,
            merchant=booking.merchant,
            purchase_minor=amount,
            points=points_back,
            shortfall=shortfall,
            original=booking,
            transaction=txn,
        )
        _consume_lots(member, take, first_booking=booking)
        _announce(correction)
    return correction, True


def bonus_grant(
    *, member: Member, reason_code: str, points: int | None, actor: Any = None, reason: str = ""
) -> Booking | None:
    """A turnover-independent bonus from the operator (welcome bonus when points=None)."""
    programme = programme_for(city=member.city)
    reason = reason or _("Welcome bonus")
    bonus = operator_account(city=member.city, purpose="bonus")
    with transaction.atomic():
        locked, _earlier = booking_lock(city=member.city, member=member, other=bonus)
        if points is None:
            # Once per member: the flag is read and set under the card's lock.
            welcomed = Member.objects.values_list("welcomed", flat=True).get(pk=member.pk)
            if welcomed or not programme.welcome_bonus:
                return None
            points = programme.welcome_bonus
            Member.objects.filter(pk=member.pk).update(welcomed=True)
        txn, _created = transaction_post(
            ledger=points_ledger(city=member.city),
            legs=[Leg(bonus, member.account, points)],
            reason_code=reason_code,
            reason=reason,
            actor=actor,
            locked=locked,
        )
        booking = Booking.objects.create(
            city=member.city,
            kind=BookingKind.BONUS,
            member=member,
            points=points,
            transaction=txn,
            reason=reason,
        )
        _add_lot(member, booking, points, _expires_at(timezone.now(), programme.expiry_months))
    return booking


def points_expire(*, city: Any, now: dt.datetime | None = None) -> int:
    """Move points whose lots have expired to the breakage account; returns points moved."""
    now = now or timezone.now()
    breakage = operator_account(city=city, purpose="breakage")
    moved = 0
    member_ids = (
        PointsLot.objects.filter(expires_at__lte=now, remaining__gt=0)
        .values_list("member_id", flat=True)
        .distinct()
    )
    for member in Member.objects.filter(pk__in=list(member_ids)):
        with transaction.atomic():
            locked, _earlier = booking_lock(city=city, member=member, other=breakage)
            lots = list(
                PointsLot.objects.select_for_update().filter(
                    member=member, expires_at__lte=now, remaining__gt=0
                )
            )
            points = sum(lot.remaining for lot in lots)
            if not points:
                continue
            txn, _created = transaction_post(
                ledger=points_ledger(city=city),
                legs=[Leg(member.account, breakage, points, "expiry")],
                reason_code="expiry",
                reason=_("Points expired"),
                actor_label="system:expiry",
                idempotency_key=f"expiry:{member.code}:{now:%Y%m%d%H%M%S}",
                locked=locked,
            )
            Booking.objects.create(
                city=city, kind=BookingKind.EXPIRY, member=member, points=points, transaction=txn
            )
            for lot in lots:
                lot.remaining = 0
                lot.save(update_fields=["remaining"])
            moved += points
    return moved


def points_adjust(*, member: Member, points: int, reason: str, actor: Any) -> Booking:
    """The operator's manual correction: positive grants, negative takes back; a reason is
    mandatory and the change is audit-logged."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise BadAmount(_("Enter a number of points other than zero."))
    if not reason.strip():
        raise BadAmount(_("A reason is required."))
    city = member.city
    bonus = operator_account(city=city, purpose="bonus")
    leg = Leg(bonus, member.account, points) if points > 0 else Leg(member.account, bonus, -points)
    with transaction.atomic():
        locked, _earlier = booking_lock(city=city, member=member, other=bonus)
        txn, _created = transaction_post(
            ledger=points_ledger(city=city),
            legs=[leg],
            reason_code="adjustment",
            reason=reason,
            actor=actor,
            locked=locked,
        )
        booking = Booking.objects.create(
            city=city,
            kind=BookingKind.ADJUST_PLUS if points > 0 else BookingKind.ADJUST_MINUS,
            member=member,
            points=abs(points),
            transaction=txn,
            reason=reason[:200],
        )
        if points > 0:
            months = programme_for(city=city).expiry_months
            _add_lot(member, booking, points, _expires_at(timezone.now(), months))
        else:
            _consume_lots(member, -points)
        audit_record(
            city=city,
            actor=actor,
            action="points.adjusted",
            obj=member,
            data={"points": points, "reason": reason},
        )
    return booking


def card_block(*, card: Card, actor: Any, reason: str) -> Card:
    """Block a lost or stolen card; its points stay with the member."""
    with transaction.atomic():
        Card.objects.filter(pk=card.pk).update(
            status=Card.Status.BLOCKED, block_reason=reason[:120]
        )
        card.refresh_from_db()
        audit_record(
            city=card.city, actor=actor, action="card.blocked", obj=card, data={"reason": reason}
        )
    return card


def card_replace(*, card: Card, actor: Any, reason: str = "replaced") -> Card:
    """Block the card and issue a new one to the same member: the balance is kept."""
    with transaction.atomic():
        if card.status == Card.Status.ACTIVE:
            card_block(card=card, actor=actor, reason=reason)
        new = card_issue(member=card.member, form=card.form)
        audit_record(
            city=card.city, actor=actor, action="card.replaced", obj=new, data={"old": card.code}
        )
    return new


def card_claim(*, card: Card, user: Any) -> Member:
    """A citizen claims an anonymous plastic card: it and its points join their membership."""
    city = card.city
    if card.member.user_id is not None:
        if card.member.user_id == user.pk:
            return card.member
        raise CardNotFound()
    with transaction.atomic():
        own = Member.objects.filter(city=city, user=user).first()
        if own is None:
            Member.objects.filter(pk=card.member_id).update(user=user)
            member = Member.objects.get(pk=card.member_id)
        else:
            member = own
            anonymous = card.member
            locked, _earlier = booking_lock(
                city=city, member=anonymous, other=own.account, request={}
            )
            points = locked[anonymous.account_id].available
            if points:
                txn, _created = transaction_post(
                    ledger=points_ledger(city=city),
                    legs=[Leg(anonymous.account, own.account, points, "card.claimed")],
                    reason_code="card.claimed",
                    reason=_("Points of card %(card)s") % {"card": str(card)},
                    actor=user,
                    locked=locked,
                )
                booking = Booking.objects.create(
                    city=city,
                    kind=BookingKind.TRANSFER,
                    member=own,
                    card=card,
                    points=points,
                    transaction=txn,
                )
                PointsLot.objects.filter(member=anonymous).update(member=own)
                del booking
            Card.objects.filter(pk=card.pk).update(member=own)
        audit_record(city=city, actor=user, action="card.claimed", obj=card)
    return member


REMINDER_DAYS = 30


def expiry_reminders(*, city: Any, now: dt.datetime | None = None) -> int:
    """E-mail members whose points expire within REMINDER_DAYS (once per lot)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from marktplatz.core.mail import send_mail_on_commit

    now = now or timezone.now()
    due = (
        PointsLot.objects.filter(
            member__user__isnull=False,
            remaining__gt=0,
            reminded=False,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=REMINDER_DAYS),
        )
        .select_related("member__user")
        .order_by("member_id", "expires_at")
    )
    by_member: dict[int, list[PointsLot]] = {}
    for lot in due:
        by_member.setdefault(lot.member_id, []).append(lot)
    for lots in by_member.values():
        member = lots[0].member
        with transaction.atomic(), translation.override(city.default_language):
            points = sum(lot.remaining for lot in lots)
            send_mail_on_commit(
                subject=_("%(n)s points of your city card expire soon") % {"n": points},
                body=render_to_string(
                    "loyalty/email/expiry_reminder.txt",
                    {"city": city, "points": points, "date": lots[0].expires_at},
                ),
                to=[member.user.email],
            )
            PointsLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(reminded=True)
    return len(by_member)


def merchant_rate_set(*, merchant: Any, points_per_unit: int, actor: Any) -> MerchantRules:
    """A merchant's own earning rate, within the range the operator allows."""
    programme = programme_for(city=merchant.city)
    low, high = programme.merchant_min_points_per_unit, programme.merchant_max_points_per_unit
    if not low <= points_per_unit <= high:
        raise BadAmount(
            _("Choose between %(low)s and %(high)s points per 1.00.") % {"low": low, "high": high}
        )
    with transaction.atomic():
        rules, _created = MerchantRules.objects.update_or_create(
            merchant=merchant, defaults={"city": merchant.city, "points_per_unit": points_per_unit}
        )
        audit_record(
            city=merchant.city,
            actor=actor,
            action="merchant.rate_set",
            obj=merchant,
            data={"points_per_unit": points_per_unit},
        )
    return rules


# --- Joining and the operator's rules (every write with its audit record) ----------------


def member_join(*, city: Any, user: Any) -> tuple[Member, bool]:
    """Make ``user`` a card holder of ``city``: the citizen role, a member with a digital
    card and the welcome bonus, audited. Idempotent: joining again returns the existing
    membership and ``False``. Two joins at once make one member: the user's row is locked
    first (on SQLite the IMMEDIATE transaction serialises them), so the second one waits
    and then finds the first one's member."""
    from marktplatz.accounts.models import User
    from marktplatz.accounts.services import citizen_join

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        citizen_join(city=city, user=user)  # also for a holder of a claimed plastic card
        member = Member.objects.filter(city=city, user=user).first()
        if member is not None:
            return member, False
        member = member_create(city=city, user=user)
        card_issue(member=member, form=Card.Form.DIGITAL)
        bonus_grant(member=member, reason_code="bonus.welcome", points=None)
        audit_record(city=city, actor=user, action="member.joined", obj=member)
    return member, True


def programme_update(*, programme: Programme, actor: Any, changed: list[str]) -> Programme:
    """Save the town's earning and redemption rules (an unsaved, changed copy)."""
    with transaction.atomic():
        programme.save()
        audit_record(
            city=programme.city,
            actor=actor,
            action="programme.updated",
            obj=programme,
            data={"fields": list(changed)},
        )
    return programme


def campaign_create(*, city: Any, campaign: Campaign, actor: Any) -> Campaign:
    """Set up a points campaign (an unsaved instance) for ``city``."""
    campaign.city = city
    with transaction.atomic():
        campaign.save()
        audit_record(
            city=city,
            actor=actor,
            action="campaign.created",
            obj=campaign,
            data={"multiplier_percent": campaign.multiplier_percent},
        )
    return campaign


def reward_offer(*, city: Any, reward: Any, merchant: Any, actor: Any) -> Any:
    """Offer a reward for points (an unsaved instance), by ``merchant`` or the operator."""
    reward.city = city
    reward.merchant = merchant
    with transaction.atomic():
        reward.save()
        audit_record(
            city=city,
            actor=actor,
            action="reward.offered",
            obj=reward,
            data={"points": reward.points, "merchant": merchant.code if merchant else None},
        )
    return reward


def event_publish(*, city: Any, event: Any, actor: Any) -> Any:
    """Publish a member event (an unsaved instance)."""
    event.city = city
    with transaction.atomic():
        event.save()
        audit_record(city=city, actor=actor, action="event.published", obj=event)
    return event
