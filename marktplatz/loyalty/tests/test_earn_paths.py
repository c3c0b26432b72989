"""The earning rules are written twice: in Python (``services.earn``, SQLite) and in
PL/pgSQL (``loyalty_earn``, PostgreSQL; kept because it is several times faster, see
docs/benchmarks.md). This differential property test proves them equal on PostgreSQL:
hypothesis draws random sequences of what happens at the tills (purchases at several
businesses, retries and conflicting retries of a key, payments with points, refunds that
leave a points debt, blocked and unknown cards, a business that stopped accepting, days
and months passing, expiry), runs each sequence in two identical towns, one earning by
the Python path and one by the SQL path, and compares every answer, every booking, every
points lot, every transfer and every balance.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marktplatz.ledger.models import Account, Transfer
from marktplatz.loyalty import services
from marktplatz.loyalty.errors import LoyaltyError
from marktplatz.loyalty.models import Booking, Card, Member, PointsLot
from marktplatz.loyalty.offers import TillOffer, till_offers_wanted
from marktplatz.merchants.models import Merchant
from marktplatz.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL earn path exists only on PostgreSQL")


amounts = st.integers(min_value=1, max_value=60000)
PARAMETERS = {
    "earn": (st.integers(0, 1), st.integers(1, 3000) | amounts),
    # A purchase of 5 € with an offer of b bonus points (up to past the daily cap).
    "offer_earn": (st.integers(0, 1), st.integers(0, 800)),
    "spend_all": (st.integers(0, 1), st.just(0)),
    "spend_and_return": (st.integers(0, 1), st.integers(1, 100)),
    "refund": (st.integers(0, 5), st.integers(0, 60000)),
    "retry": (st.just(0), st.just(0)),
    "conflict": (st.just(0), amounts),
    "redeem": (st.integers(0, 1), st.integers(1, 400)),
    "days": (st.integers(1, 3), st.just(0)),
    "month": (st.integers(29, 40), st.just(0)),
    "expire": (st.just(0), st.just(0)),
    "block": (st.just(0), st.just(0)),
    "unknown_card": (st.just(0), amounts),
    "shop_closes": (st.integers(0, 1), st.just(0)),
}
# Drawn alike from this list, so what should happen often is listed more than once.
# Spending every point makes the next refund leave a debt that later purchases repay;
# blocking the card or closing a business is rare, since after it little books at all.
KINDS = ["earn"] * 12 + ["offer_earn"] * 3 + ["spend_all"] * 2 + ["spend_and_return"] * 4 + ["refund"] * 4 + [
    "retry", "retry", "conflict", "redeem", "redeem", "days", "days", "month", "expire",
    "unknown_card", "block", "shop_closes",
]  # fmt: skip
operation = st.sampled_from(KINDS).flatmap(lambda kind: st.tuples(st.just(kind), *PARAMETERS[kind]))


def _offers(sender, *, merchant, today, **kwargs):
    """Every business of the comparison has an offer OFFERn of n bonus points, n ≤ 800."""
    return [TillOffer(code=f"OFFER{n}", title="Angebot", bonus_points=n) for n in range(801)]


@pytest.fixture(autouse=True)
def offers_at_the_till():
    till_offers_wanted.connect(_offers, dispatch_uid="test_earn_paths_offers")
    yield
    till_offers_wanted.disconnect(dispatch_uid="test_earn_paths_offers")


class Town:
    """One town of the comparison: a programme with tight limits, two businesses, a card."""

    def __init__(self, slug: str, *, sql: bool, start: dt.datetime) -> None:
        self.sql = sql
        self.city = factories.city(slug=slug, name=slug, country="DE", currency="EUR")
        programme = services.programme_for(city=self.city)
        programme.points_per_unit = 2
        programme.visit_bonus = 3
        programme.daily_cap_per_card = 700
        programme.min_redeem_points = 20
        programme.expiry_months = 1
        programme.refund_window_days = 30
        programme.save()
        self.shops = [factories.merchant(city=self.city, name=f"Laden {i}") for i in range(2)]
        self.member = services.member_create(city=self.city)
        self.card = services.card_issue(member=self.member, form=Card.Form.PLASTIC)
        services.bonus_grant(member=self.member, reason_code="bonus.welcome", points=None)
        self.now = start
        self.keys: list[str] = []
        self.bookings: list[Booking] = []
        self.last_amount = 0

    def earn(self, shop: int, amount: int, key: str, card: str | None = None, offer=""):
        with override_settings(LOYALTY_EARN_SQL=self.sql):
            booking, created = services.earn(
                city=self.city, merchant=Merchant.objects.get(pk=self.shops[shop].pk),
                card=card or self.card.number, purchase_minor=amount, currency="EUR",
                idempotency_key=key, now=self.now, offer_code=offer,
            )  # fmt: skip
        if created:
            self.bookings.append(booking)
        return ("booked", created, booking.points, booking.balance_after if created else None)

    def apply(self, step: int, op: tuple[str, int, int]):
        kind, a, b = op
        if kind == "earn":
            self.keys.append(f"k{step}")
            self.last_amount = b
            return self.earn(a, b, self.keys[-1])
        if kind == "offer_earn":
            self.keys.append(f"k{step}")
            self.last_amount = 500
            return self.earn(a, 500, self.keys[-1], offer=f"OFFER{b}")
        if kind == "retry" and self.keys:
            return self.earn(0, self.last_amount, self.keys[-1])
        if kind == "conflict" and self.keys:
            return self.earn(0, b if b != self.last_amount else b + 1, self.keys[-1])
        if kind == "unknown_card":
            return self.earn(0, b, f"u{step}", card="0000 0000 0000 0000")
        if kind == "spend_and_return" and self.bookings:
            # The customer pays with every point, then brings back b% of the last purchase.
            self.apply(step, ("spend_all", a, 0))
            last = Booking.objects.get(pk=self.bookings[-1].pk)
            part = max(1, last.purchase_minor * b // 100)
            return self.apply(step, ("refund", len(self.bookings) - 1, part))
        if kind == "spend_all":
            b = max(1, Account.objects.get(pk=self.member.account_id).available)
            kind = "redeem"
        if kind == "redeem":
            card = Card.objects.get(pk=self.card.pk)
            booking, _created = services.redeem(
                city=self.city, merchant=self.shops[a], card=card, points=b,
                idempotency_key=f"r{step}",
            )  # fmt: skip
            return ("redeemed", booking.points)
        if kind == "refund" and self.bookings:
            original = self.bookings[a % len(self.bookings)]
            left = original.purchase_minor
            booking, _created = services.refund(
                booking=Booking.objects.get(pk=original.pk),
                purchase_minor=None if b == 0 else min(b, left),
                idempotency_key=f"f{step}", now=self.now,
            )  # fmt: skip
            return ("refunded", booking.kind, booking.points, booking.shortfall)
        if kind in ("days", "month"):
            self.now += dt.timedelta(days=a)
            return ("days", a)
        if kind == "expire":
            return ("expired", services.points_expire(city=self.city, now=self.now))
        if kind == "block":
            Card.objects.filter(pk=self.card.pk).update(status=Card.Status.BLOCKED)
            return ("blocked",)
        if kind == "shop_closes":
            Merchant.objects.filter(pk=self.shops[a].pk).update(accepting=False)
            return ("closed", a)
        return ("skipped",)

    def run(self, step: int, op: tuple[str, int, int]):
        try:
            with transaction.atomic():
                return self.apply(step, op)
        except LoyaltyError as error:
            return ("refused", type(error).__name__, error.code)
        except Exception as error:  # ledger errors (conflicts, funds) compared by name
            return ("refused", type(error).__name__)

    def books(self) -> dict:
        """Everything the town's bookings wrote, without ids, codes and clock times."""
        roles = {
            self.member.account_id: "card",
            self.member.debt_account_id: "debt",
            **{services.merchant_account(merchant=s).pk: f"shop{i}" for i, s in
               enumerate(self.shops)},
            services.operator_account(city=self.city, purpose="bonus").pk: "bonus",
            services.operator_account(city=self.city, purpose="breakage").pk: "breakage",
        }  # fmt: skip
        order = {b.pk: i for i, b in enumerate(Booking.objects.filter(city=self.city)
                                              .order_by("pk"))}  # fmt: skip
        member = Member.objects.get(pk=self.member.pk)
        return {
            "bookings": [
                (b.kind, b.points, b.purchase_minor, b.shortfall,
                 self.shops.index(b.merchant) if b.merchant_id else None,
                 order.get(b.original_id), b.transaction.reason_code, b.offer_code)
                for b in Booking.objects.filter(city=self.city).order_by("pk")
                .select_related("transaction", "merchant")
            ],
            # Bonus lots expire from the clock (not the till's time): compared without it.
            "lots": [
                (order[lot.booking_id], lot.points, lot.remaining,
                 lot.expires_at if lot.booking.kind == "earn" else None)
                for lot in PointsLot.objects.filter(member=self.member).order_by("pk")
                .select_related("booking")
            ],
            "transfers": [
                (t.kind, roles[t.debit_account_id], roles[t.credit_account_id], t.amount,
                 t.reason_code, t.transaction.reason)
                for t in Transfer.objects.filter(ledger__city=self.city).order_by("pk")
                .select_related("transaction")
            ],
            "balances": {
                roles[a.pk]: (a.balance, a.pending_debits)
                for a in Account.objects.filter(pk__in=roles)
            },
            "day": (member.earned_since, member.earned_since_points),
            # The booking each path answers is its row, every column (the SQL path builds
            # it from the function's answer).
            "answers_are_rows": [
                [getattr(b, f.attname) for f in Booking._meta.concrete_fields]
                == [getattr(row, f.attname) for f in Booking._meta.concrete_fields]
                for b in self.bookings for row in [Booking.objects.get(pk=b.pk)]
            ],
        }  # fmt: skip


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=4, max_size=30))
def test_the_python_and_the_sql_earn_path_book_exactly_the_same(ops):
    start = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        python = Town("python", sql=False, start=start)
        sql = Town("sql", sql=True, start=start)
        for step, op in enumerate(ops):
            assert python.run(step, op) == sql.run(step, op), (step, op)
        assert python.books() == sql.books()
        transaction.set_rollback(True)


def test_the_comparison_sees_a_difference():
    """The comparison is not blind: a town with another rate books differently."""
    start = timezone.now().replace(microsecond=0)
    python = Town("python", sql=False, start=start)
    sql = Town("sql", sql=True, start=start)
    programme = services.programme_for(city=sql.city)
    programme.points_per_unit = 3
    programme.save()
    assert python.run(0, ("earn", 0, 1000)) != sql.run(0, ("earn", 0, 1000))
    assert python.books() != sql.books()
