"""Who may take points back at the till, and until when (loyalty.rules), per role; the
service refuses exactly what the rule refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from marktplatz.loyalty import rules, services
from marktplatz.loyalty.errors import NotRefundable
from marktplatz.loyalty.models import Booking
from marktplatz.testing import factories

OWNER, MANAGER, CASHIER = "merchant_owner", "merchant_manager", "merchant_cashier"


@pytest.fixture
def purchase(town_a, shop_a, card):
    booking, _ = services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=4000,
        currency="EUR",
        idempotency_key="p1",
    )
    return booking


@pytest.fixture
def programme(town_a):
    programme = services.programme_for(city=town_a)
    assert (programme.cancel_window_minutes, programme.refund_window_days) == (15, 30)
    return programme


def allowed(booking, role, programme, *, after, partial=False):
    return rules.refund_allowed(
        booking=booking,
        role=role,
        programme=programme,
        now=booking.created_at + after,
        partial=partial,
    )


def test_a_cashier_cancels_a_whole_purchase_within_the_cancel_window_only(purchase, programme):
    assert allowed(purchase, CASHIER, programme, after=dt.timedelta(minutes=15))
    assert not allowed(purchase, CASHIER, programme, after=dt.timedelta(minutes=16))
    assert not allowed(purchase, CASHIER, programme, after=dt.timedelta(minutes=1), partial=True)


def test_a_cashier_may_not_cancel_what_was_refunded_in_part(purchase, programme, bob):
    services.refund(booking=purchase, purchase_minor=1000, idempotency_key="f1", actor=bob)
    assert not allowed(purchase, CASHIER, programme, after=dt.timedelta(minutes=1))
    with translation.override("en"):
        refusal = rules.refund_refusal(
            booking=purchase,
            role=CASHIER,
            programme=programme,
            now=purchase.created_at,
            partial=False,
        )
    assert refusal and "manager" in refusal


@pytest.mark.parametrize("role", [OWNER, MANAGER, rules.OPERATOR, rules.TERMINAL])
def test_owners_managers_operator_and_terminal_refund_within_the_refund_window(
    purchase, programme, role
):
    for partial in (False, True):
        assert allowed(purchase, role, programme, after=dt.timedelta(days=30), partial=partial)
        assert not allowed(
            purchase, role, programme, after=dt.timedelta(days=30, seconds=1), partial=partial
        )


@pytest.mark.parametrize("role", [None, "citizen", "employer_admin", "city_staff"])
def test_nobody_else_takes_points_back(purchase, programme, role):
    assert not allowed(purchase, role, programme, after=dt.timedelta(seconds=1))


def test_only_purchases_can_be_refunded(town_a, shop_a, card, programme):
    redemption, _ = services.redeem(
        city=town_a, merchant=shop_a, card=card, points=100, idempotency_key="r1"
    )
    for role in (OWNER, CASHIER, rules.TERMINAL):
        assert not allowed(redemption, role, programme, after=dt.timedelta(seconds=1))


def test_the_till_role_of_each_person(town_a, town_b, shop_a, alice, bob, carol, dave, charlie):
    manager = factories.person("mia@example.org", town_a, MANAGER, merchant=shop_a)
    other_shop = factories.merchant(city=town_a, name="Metzgerei")
    other_cashier = factories.person("olaf@example.org", town_a, CASHIER, merchant=other_shop)
    assert rules.till_role(user=bob, merchant=shop_a) == OWNER
    assert rules.till_role(user=manager, merchant=shop_a) == MANAGER
    assert rules.till_role(user=carol, merchant=shop_a) == CASHIER
    assert rules.till_role(user=alice, merchant=shop_a) == rules.OPERATOR
    assert rules.till_role(user=None, merchant=shop_a) == rules.TERMINAL
    assert rules.till_role(user=dave, merchant=shop_a) is None
    assert rules.till_role(user=other_cashier, merchant=shop_a) is None
    # Another town's operator is nobody at this till.
    assert rules.till_role(user=charlie, merchant=shop_a) is None


def test_the_service_refuses_what_the_rule_refuses(purchase, carol, bob, dave):
    late = purchase.created_at + dt.timedelta(minutes=20)
    with pytest.raises(NotRefundable, match="15"):
        services.refund(
            booking=purchase, purchase_minor=None, idempotency_key="c1", actor=carol, now=late
        )
    with pytest.raises(NotRefundable):
        services.refund(booking=purchase, purchase_minor=1000, idempotency_key="c2", actor=carol)
    with pytest.raises(NotRefundable):
        services.refund(booking=purchase, purchase_minor=None, idempotency_key="c3", actor=dave)
    assert not Booking.objects.filter(original=purchase).exists()
    # The owner may, later and in part; the cashier may then not cancel the rest.
    refund, created = services.refund(
        booking=purchase, purchase_minor=1000, idempotency_key="o1", actor=bob, now=late
    )
    assert created and (refund.kind, refund.points) == ("refund", 10)
    with pytest.raises(NotRefundable):
        services.refund(booking=purchase, purchase_minor=None, idempotency_key="c4", actor=carol)


def test_a_cashiers_quick_cancellation_is_booked(purchase, carol):
    cancel, created = services.refund(
        booking=purchase,
        purchase_minor=None,
        idempotency_key="c1",
        actor=carol,
        now=timezone.now(),
    )
    assert created and (cancel.kind, cancel.points) == ("cancel", 40)
