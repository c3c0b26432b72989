"""Demo data of the city card: a card for every citizen and a year of bookings.

The history is simulated day by day (members join over the year, shop at merchants of
their liking, now and then pay with points or return something) and written through
``ledger.services.postings_import``, so the ledger verifies like any other.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.ledger.models import Account, AccountKind
from marktplatz.ledger.services import Leg, Posting, postings_import
from marktplatz.loyalty import services
from marktplatz.loyalty.cardnumbers import new_number, new_qr_token
from marktplatz.loyalty.models import Booking, BookingKind, Card, Member, PointsLot
from marktplatz.merchants.models import Merchant

# Typical purchase (cents) per category: (low, high).
SPEND = {
    "bakery": (250, 1800),
    "butcher": (800, 4500),
    "grocery": (1200, 9000),
    "restaurant": (2500, 12000),
    "cafe": (350, 2500),
    "fashion": (3000, 25000),
    "shoes": (4000, 18000),
    "books": (900, 6000),
    "electronics": (2000, 60000),
    "pharmacy": (500, 6000),
    "optician": (3000, 40000),
    "beauty": (2500, 12000),
    "home": (1000, 15000),
    "florist": (1200, 6000),
    "sports": (2000, 30000),
    "toys": (1000, 8000),
    "jewellery": (5000, 80000),
    "culture": (800, 2500),
    "leisure": (600, 2000),
    "parking": (200, 1500),
    "services": (1000, 9000),
}
DAYS = 365
BOOKINGS_PER_DAY = 40


def _members_for_citizens(city, ledger, rng) -> list[Member]:
    have = set(Member.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    users = [
        role.user
        for role in Role.objects.filter(kind=RoleKind.CITIZEN).select_related("user")
        if role.user_id not in have
    ]
    members = [Member(city=city, user=user, welcomed=True) for user in users]
    accounts = []
    for member in members:
        member.account = Account(
            city=city, ledger=ledger, kind=AccountKind.CUSTOMER, reference=f"member:{member.code}"
        )
        member.debt_account = Account(
            city=city,
            ledger=ledger,
            kind=AccountKind.RECEIVABLE,
            reference=f"member-debt:{member.code}",
            allow_negative=True,
        )
        accounts += [member.account, member.debt_account]
    Account.objects.bulk_create(accounts, batch_size=500)
    for member in members:
        member.account_id = member.account.pk
        member.debt_account_id = member.debt_account.pk
    Member.objects.bulk_create(members, batch_size=500)
    Card.objects.bulk_create(
        [
            Card(city=city, member=m, number=new_number(), qr_token=new_qr_token(), form="digital")
            for m in members
        ],
        batch_size=500,
    )
    return members


def seed(*, city, town, rng, out, **_options) -> None:
    ledger = services.points_ledger(city=city)
    members = _members_for_citizens(city, ledger, rng)
    if not Card.objects.filter(form=Card.Form.PLASTIC).exists():
        services.card_batch_issue(city=city, actor=None, size=40, note="Demo")
    plastic = Card.objects.filter(form=Card.Form.PLASTIC).order_by("pk").first()
    if plastic is not None:
        out.append((town.name, "plastic card (POS)", plastic.number, "anonymous, not claimed"))
    if Booking.objects.filter(kind=BookingKind.EARN).exists() or not members:
        return  # the history is loaded once
    _simulate_year(city=city, ledger=ledger, members=members, rng=rng)


def _simulate_year(*, city, ledger, members, rng) -> None:
    programme = services.programme_for(city=city)
    merchants = list(Merchant.objects.filter(is_active=True).order_by("code"))
    merchant_accounts = {m.pk: services.merchant_account(merchant=m) for m in merchants}
    bonus = services.operator_account(city=city, purpose="bonus")
    start = timezone.now() - dt.timedelta(days=DAYS)
    # Members join during the first ten months; some shop much more often than others.
    joined = sorted(
        ((start + dt.timedelta(days=rng.uniform(0, 300)), m) for m in members),
        key=lambda pair: pair[0],
    )
    activity = {m.pk: rng.choice((1, 1, 2, 3, 5, 8)) for m in members}
    favourites = {m.pk: rng.sample(merchants, k=min(6, len(merchants))) for m in members}
    balance = {m.pk: 0 for m in members}
    plan: list[tuple[Posting, dict]] = []

    def add(posting: Posting, **booking) -> None:
        plan.append((posting, booking))

    join_index = 0
    active: list = []
    for day in range(DAYS):
        day_start = start + dt.timedelta(days=day)
        while join_index < len(joined) and joined[join_index][0] <= day_start:
            when, member = joined[join_index]
            join_index += 1
            active.append(member)
            points = programme.welcome_bonus
            if points:
                balance[member.pk] += points
                add(
                    Posting(
                        [Leg(bonus, member.account, points)], "bonus.welcome", "Welcome bonus", when
                    ),
                    kind=BookingKind.BONUS,
                    member=member,
                    points=points,
                )
        if not active:
            continue
        weights = [activity[m.pk] for m in active]
        for _n in range(rng.randint(BOOKINGS_PER_DAY // 2, BOOKINGS_PER_DAY * 3 // 2)):
            member = rng.choices(active, weights)[0]
            merchant = rng.choice(favourites[member.pk])
            when = day_start.replace(hour=rng.randint(8, 18), minute=rng.randint(0, 59))
            if balance[member.pk] >= 400 and rng.random() < 0.08:
                points = rng.randrange(100, min(balance[member.pk], 1500) + 1, 50)
                balance[member.pk] -= points
                add(
                    Posting(
                        [Leg(member.account, merchant_accounts[merchant.pk], points)],
                        "redeem",
                        f"Paid with points at {merchant.name}",
                        when,
                    ),
                    kind=BookingKind.REDEEM,
                    member=member,
                    merchant=merchant,
                    points=points,
                )
                continue
            low, high = SPEND.get(merchant.category, (500, 5000))
            cents = rng.randint(low, high)
            points = cents * programme.points_per_unit // 100
            if not points:
                continue
            balance[member.pk] += points
            add(
                Posting(
                    [Leg(merchant_accounts[merchant.pk], member.account, points)],
                    "earn",
                    f"Purchase at {merchant.name}",
                    when,
                ),
                kind=BookingKind.EARN,
                member=member,
                merchant=merchant,
                points=points,
                purchase_minor=cents,
            )
    txns = postings_import(ledger=ledger, postings=[posting for posting, _b in plan])
    cards = {c.member_id: c for c in Card.objects.filter(member__in=members)}
    bookings = [
        Booking(
            city=city,
            card=cards.get(data["member"].pk) if data["kind"] != BookingKind.BONUS else None,
            transaction=txn,
            created_at=posting.created_at,
            reason=posting.reason if data["kind"] == BookingKind.BONUS else "",
            **data,
        )
        for (posting, data), txn in zip(plan, txns, strict=True)
    ]
    Booking.objects.bulk_create(bookings, batch_size=500)
    _lots(city, programme, bookings)


def _lots(city, programme, bookings) -> None:
    """Points lots as the history left them: spending used the oldest lots first."""
    lots: dict[int, list[PointsLot]] = {}
    expiry = dt.timedelta(days=round(programme.expiry_months * 30.44))
    for booking in bookings:
        member_lots = lots.setdefault(booking.member.pk, [])
        if booking.kind in (BookingKind.EARN, BookingKind.BONUS):
            member_lots.append(
                PointsLot(
                    city=city,
                    member=booking.member,
                    booking=booking,
                    points=booking.points,
                    remaining=booking.points,
                    expires_at=booking.created_at + expiry,
                )
            )
        elif booking.kind == BookingKind.REDEEM:
            left = booking.points
            for lot in member_lots:
                used = min(left, lot.remaining)
                lot.remaining -= used
                left -= used
                if not left:
                    break
    PointsLot.objects.bulk_create([lot for group in lots.values() for lot in group], batch_size=500)
