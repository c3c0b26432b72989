"""Orders under concurrent requests, on PostgreSQL: the last places of a pickup slot go
once, and an order handed over by several tills at once is paid once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Booking
from marktplatz.orders import selectors, services
from marktplatz.orders.models import Order
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


def test_eight_customers_for_the_last_two_places_of_a_slot(town_a, shop_a, ordering):
    slot = selectors.pickup_slots(merchant=shop_a, now=timezone.now())[0].start
    people = [factories.person(f"c{i}@example.org", town_a, "citizen") for i in range(8)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def order(index: int) -> None:
        translation.activate("en")
        try:
            services.order_place(
                citizen=people[index], merchant=shop_a, fulfilment="pickup",
                quantities={ordering["bread"].code: 1}, pickup_at=slot,
            )  # fmt: skip
            outcome = "placed"
        except services.OrderRefused as refused:
            outcome = refused.message
        with lock:
            outcomes.append(outcome)

    run_in_threads(order)
    assert outcomes.count("placed") == 2, outcomes
    assert Order.objects.filter(pickup_at=slot).count() == 2
    assert set(outcomes) - {"placed"} == {
        "This pickup time is fully booked. Please choose another one."
    }


def test_an_order_handed_over_by_eight_tills_at_once_is_paid_once(
    town_a, shop_a, dave, carol, ordering
):
    member = loyalty.member_for_user(city=town_a, user=dave)
    loyalty.bonus_grant(member=member, reason_code="bonus.test", points=400)
    order, _created = services.order_place(
        citizen=dave, merchant=shop_a, fulfilment="pickup", quantities={ordering["bread"].code: 1},
        pickup_at=selectors.pickup_slots(merchant=shop_a, now=timezone.now())[0].start,
    )  # fmt: skip
    services.order_confirm(order=order, actor=carol, ready_at=order.pickup_at)
    services.order_pay_choose(order=order, citizen=dave, points=300)
    services.order_ready(order=order, actor=carol)
    took: list[bool] = []
    lock = threading.Lock()

    def hand_over(_index: int) -> None:
        mine = Order.objects.get(pk=order.pk)
        changed = services.order_complete(order=mine, actor=carol)
        with lock:
            took.append(changed)

    run_in_threads(hand_over)
    assert sorted(took) == [False] * 7 + [True]
    order.refresh_from_db()
    assert (order.state, order.paid_points, order.paid_card_minor) == ("completed", 300, 300)
    assert Booking.objects.filter(kind="redeem", member=member).count() == 1
    assert ledger_verify() == []
