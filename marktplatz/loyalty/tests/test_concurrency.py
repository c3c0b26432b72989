"""Earning at many tills at once on one card, on PostgreSQL (``loyalty_earn``)."""

import pytest
from django.db import connection

from marktplatz.ledger.models import Account, Transaction
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services
from marktplatz.loyalty.errors import BadAmount
from marktplatz.loyalty.models import Booking, PointsLot
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


def _earn(town, shop, card, cents, key):
    return services.earn(
        city=town, merchant=shop, card=card.number, purchase_minor=cents, currency="EUR",
        idempotency_key=key,
    )  # fmt: skip


def test_the_daily_cap_holds_when_many_tills_book_at_once(town_a, shop_a, card, member):
    programme = services.programme_for(city=town_a)
    programme.daily_cap_per_card = 100
    programme.save()
    welcome = Account.objects.get(pk=member.account_id).balance
    booked, refused = [], []

    def buy(index):
        for attempt in range(5):
            try:
                booked.append(_earn(town_a, shop_a, card, 1500, f"t{index}-{attempt}")[0])
            except BadAmount:
                refused.append(1)

    run_in_threads(buy)
    # 40 purchases of 15 points against a cap of 100: 6 full, one of 10, the rest refused.
    assert sorted(b.points for b in booked) == [10] + [15] * 6
    assert len(refused) == 33
    assert Account.objects.get(pk=member.account_id).balance == welcome + 100
    assert sum(PointsLot.objects.filter(booking__in=booked).values_list("points", flat=True)) == 100
    assert ledger_verify() == []


def test_a_key_sent_by_many_tills_at_once_books_once(town_a, shop_a, card, member):
    answers = []

    def retry(_index):
        answers.append(_earn(town_a, shop_a, card, 2500, "same-key"))

    run_in_threads(retry)
    assert len({booking.pk for booking, _created in answers}) == 1
    assert sorted(created for _booking, created in answers) == [False] * 7 + [True]
    assert Booking.objects.filter(kind="earn").count() == 1
    assert Transaction.objects.filter(idempotency_key="same-key").count() == 1
    assert ledger_verify() == []
