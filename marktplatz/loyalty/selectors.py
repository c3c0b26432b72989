"""Reading the city card: a member's balance and history, the operator's figures."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from marktplatz.ledger.models import Account, AccountKind
from marktplatz.loyalty.models import (
    Booking,
    BookingKind,
    Card,
    CardBatch,
    Member,
    MemberEvent,
    PointsLot,
    Reward,
)

# How each kind of booking changes the member's points (history shows + or −).
SIGN = {
    BookingKind.EARN: 1,
    BookingKind.BONUS: 1,
    BookingKind.TRANSFER: 1,
    BookingKind.ADJUST_PLUS: 1,
    BookingKind.ADJUST_MINUS: -1,
    BookingKind.REWARD: -1,
    BookingKind.REDEEM: -1,
    BookingKind.REFUND: -1,
    BookingKind.CANCEL: -1,
    BookingKind.EXPIRY: -1,
}


def member_summary(*, member: Member) -> dict[str, Any]:
    account = Account.objects.get(pk=member.account_id)
    debt = -Account.objects.get(pk=member.debt_account_id).balance
    next_lot = (
        PointsLot.objects.filter(member=member, remaining__gt=0)
        .values("expires_at")
        .annotate(points=Sum("remaining"))
        .order_by("expires_at")
        .first()
    )
    return {"balance": account.available, "debt": debt, "next_expiry": next_lot}


def member_history(*, member: Member) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(member=member)
        .select_related("merchant", "transaction")
        .order_by("-created_at", "-pk")
    )


# Reasons the system books, by the ledger transaction's reason code: shown in the reader's
# language (the text stored with the booking is in whatever language was active then).
SYSTEM_REASONS = {
    "bonus.welcome": _("Welcome bonus"),
}


def booking_reason(booking: Booking) -> str:
    """Why a bonus or correction was booked, for the history: a system reason in the
    reader's language, an operator's reason (a correction) as the operator wrote it."""
    if booking.kind == BookingKind.EARN:
        return ""
    code = booking.transaction.reason_code if booking.transaction_id else ""
    if code in SYSTEM_REASONS:
        return str(SYSTEM_REASONS[code])
    return booking.reason


def signed_points(booking: Booking) -> int:
    return SIGN[booking.kind] * booking.points


def merchant_figures() -> list[dict[str, Any]]:
    """Per merchant of the active town: points issued, redeemed, refunded, bookings."""
    rows = (
        Booking.objects.filter(merchant__isnull=False)
        .values("merchant__code", "merchant__name")
        .annotate(
            issued=Sum("points", filter=Q(kind=BookingKind.EARN)),
            redeemed=Sum("points", filter=Q(kind=BookingKind.REDEEM)),
            taken_back=Sum("points", filter=Q(kind__in=[BookingKind.REFUND, BookingKind.CANCEL])),
            turnover=Sum("purchase_minor", filter=Q(kind=BookingKind.EARN)),
            bookings=Count("pk"),
        )
        .order_by("merchant__name")
    )
    return [
        {
            key: (value or 0) if key not in {"merchant__code", "merchant__name"} else value
            for key, value in row.items()
        }
        for row in rows
    ]


def town_figures(*, city: Any) -> dict[str, Any]:
    customers = Account.objects.filter(kind=AccountKind.CUSTOMER, ledger__asset="points")
    breakage = Account.objects.filter(kind=AccountKind.BREAKAGE, ledger__asset="points").first()
    return {
        "outstanding": customers.aggregate(total=Sum("balance"))["total"] or 0,
        "members": Member.objects.count(),
        "members_with_account": Member.objects.filter(user__isnull=False).count(),
        "cards_active": Card.objects.filter(status=Card.Status.ACTIVE).count(),
        "breakage": breakage.balance if breakage else 0,
        "first_booking": Booking.objects.aggregate(first=Min("created_at"))["first"],
    }


def card_search(*, query: str) -> QuerySet[Card]:
    """The town's cards for the operator: by holder e-mail or name, or by card digits.

    Digits match the end of the number (the last four printed on the card are enough)."""
    cards = Card.objects.select_related("member__user", "member__account").order_by(
        "-created_at", "-pk"
    )
    query = query.strip()
    digits = query.replace(" ", "")
    if digits.isdigit():
        return cards.filter(number__endswith=digits)
    if query:
        return cards.filter(
            Q(member__user__email__icontains=query)
            | Q(member__user__first_name__icontains=query)
            | Q(member__user__last_name__icontains=query)
        )
    return cards


def member_of(*, city: Any, user: Any) -> Member | None:
    """The user's membership in ``city``, or None: looking never enrols anybody."""
    if not user.is_authenticated:
        return None
    return Member.objects.filter(city=city, user=user).first()


def access_card_batch(*, user: Any, code: str) -> CardBatch:
    """A batch of plastic cards of the active city, for the operator (another town's or an
    unknown code: 404 for everybody; somebody else: 403)."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from marktplatz.accounts.selectors import is_operator

    batch = CardBatch.objects.filter(code=code).first()
    if batch is None:
        raise Http404("no such batch")
    if not is_operator(user=user):
        raise PermissionDenied
    return batch


def access_reward(*, code: str) -> Reward:
    """A reward on offer in the active city, else 404."""
    from django.http import Http404

    reward = Reward.objects.filter(code=code, is_active=True).select_related("merchant").first()
    if reward is None:
        raise Http404("no such reward")
    return reward


def access_event(*, code: str) -> MemberEvent:
    """A published member event of the active city, else 404."""
    from django.http import Http404

    event = MemberEvent.objects.filter(code=code, is_published=True).first()
    if event is None:
        raise Http404("no such event")
    return event


def booking_at(*, merchant: Any, code: str) -> Booking | None:
    """The booking ``code`` made at ``merchant`` (the till's receipt number), or None."""
    return (
        Booking.objects.filter(code=code.strip().lower(), merchant=merchant)
        .select_related("member", "merchant")
        .first()
    )


def town_copies_agree(*, cities: set[int] | None = None) -> list[str]:
    """Part of ``ledger_verify`` (LoyaltyConfig.ledger_checks): a booking or points lot
    names the town of its member (its town is a copy without a foreign key, see
    ``core.tenancy.city_copy``)."""
    problems = []
    for model in (Booking, PointsLot):
        rows = model.objects.exclude(city_id=F("member__city_id"))
        if cities is not None:
            rows = rows.filter(member__city_id__in=cities)
        count = rows.count()
        if count:
            problems.append(f"{count} row(s) of {model._meta.label} name another town")
    return problems
