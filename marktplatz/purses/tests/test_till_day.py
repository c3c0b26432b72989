"""The till's day summary: purchases, refunds, net turnover, points, city vouchers and card
purse payments of the day, for this business only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from marktplatz.loyalty import services as loyalty
from marktplatz.purses import services as purses
from marktplatz.purses.selectors import till_day
from marktplatz.testing import factories
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct


@pytest.fixture
def day(town_a, shop_a, dave):
    """A day at shop_a, and what another business and the day before booked."""
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()
    other = factories.merchant(city=town_a, name="Metzgerei")

    def earn(merchant, amount, key):
        booking, _ = loyalty.earn(
            city=town_a,
            merchant=merchant,
            card=card,
            purchase_minor=amount,
            currency="EUR",
            idempotency_key=key,
        )
        return booking

    # Bookings are append-only: "the day" starts after the first purchase instead.
    yesterday = earn(shop_a, 2000, "y1")
    midnight = timezone.now() + dt.timedelta(microseconds=1)
    while timezone.now() <= midnight:
        pass
    first = earn(shop_a, 5000, "p1")  # 50 points
    second = earn(shop_a, 1234, "p2")  # 12 points
    earn(other, 9900, "o1")
    loyalty.refund(booking=first, purchase_minor=1000, idempotency_key="r1")  # -10 points
    loyalty.refund(booking=yesterday, purchase_minor=None, idempotency_key="r2")  # -20 points
    loyalty.redeem(city=town_a, merchant=shop_a, card=card, points=100, idempotency_key="d1")
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2000)
    shown = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(
        city=town_a, merchant=shop_a, code=shown.secret, amount_minor=750, idempotency_key="v1"
    )
    elsewhere = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(
        city=town_a, merchant=other, code=elsewhere.secret, amount_minor=500, idempotency_key="v2"
    )
    # The purse holds two vouchers: one payment draws on both.
    for _ in range(2):
        gift = vouchers.voucher_sell(product=product)
        purses.voucher_load_onto_card(city=town_a, card=card, code=gift.secret, actor=None)
    purses.purse_pay(
        city=town_a, merchant=shop_a, card=card, amount_minor=3000, idempotency_key="k1"
    )
    assert second.points == 12
    return midnight


def test_the_day_adds_up_purchases_refunds_points_vouchers_and_purse(shop_a, day):
    totals = till_day(merchant=shop_a, since=day)["totals"]
    assert totals == {
        "purchases": 2,
        "gross": 6234,
        "refunds": 2,
        "refunded": 3000,  # 10.00 of today's purchase, 20.00 of yesterday's
        "net": 3234,
        "issued": 62,
        "redeemed": 100,
        "taken_back": 30,
        "vouchers": 1,
        "vouchers_amount": 750,
        "purse": 1,
        "purse_amount": 3000,
    }


def test_the_day_lists_its_bookings_newest_first(shop_a, day):
    bookings = till_day(merchant=shop_a, since=day)["bookings"]
    assert [b.kind for b in bookings] == ["redeem", "cancel", "refund", "earn", "earn"]


def test_an_empty_day_is_all_zero(shop_a, town_a):
    totals = till_day(merchant=shop_a, since=timezone.now())["totals"]
    assert set(totals.values()) == {0}


def test_the_till_page_shows_the_days_figures(client, carol, shop_a, day):
    client.force_login(carol)
    page = client.get(f"/altdorf/merchant/{shop_a.code}/pos/today/")
    assert page.status_code == 200
    text = page.content.decode()
    # The page's day starts at the town's midnight: the first purchase counts as well.
    totals = page.context["day"]["totals"]
    assert (totals["gross"], totals["net"], totals["purse_amount"]) == (8234, 5234, 3000)
    for shown in ("82,34", "52,34", "−30,00", "7,50", "30,00"):
        assert shown in text, shown
