"""Points and a voucher for one purchase: both booked or neither, once per key."""

import pytest
from django.core.cache import cache

from marktplatz.ledger.models import Account
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty.models import Booking
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct, VoucherRedemption


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def voucher(town_a):
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2000)
    return vouchers.voucher_sell(product=product)


def _points(card):
    return Account.objects.get(pk=card.member.account_id).balance


def test_points_and_voucher_pay_one_purchase_together_once(pos, card, voucher):
    body = {"card": card.number, "points": 100, "voucher": voucher.secret, "voucher_amount": 1500}
    paid = pos.post("/checkout", body, key="checkout-0001")
    assert paid.status_code == 201, paid.content
    assert (paid.json()["points_value"], paid.json()["voucher_amount"]) == (100, 1500)
    assert paid.json()["voucher_balance"] == 500
    again = pos.post("/checkout", body, key="checkout-0001")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == paid.json()
    assert (Booking.objects.filter(kind="redeem").count(), VoucherRedemption.objects.count()) == (
        1,
        1,
    )
    assert _points(card) == 0
    assert ledger_verify() == []


def test_a_voucher_short_of_money_leaves_the_points_untouched(pos, card, voucher):
    body = {"card": card.number, "points": 100, "voucher": voucher.secret, "voucher_amount": 2500}
    refused = pos.post("/checkout", body, key="checkout-0002")
    assert (refused.status_code, refused.json()["error"]) == (409, "voucher_insufficient")
    assert _points(card) == 100
    assert not Booking.objects.filter(kind="redeem").exists()
    assert VoucherRedemption.objects.count() == 0
    assert pos.post("/checkout", {}, key="checkout-0003").status_code == 422
