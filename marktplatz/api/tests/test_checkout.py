"""Points and a voucher for one purchase: both booked or neither, once per key."""

import pytest
from django.core.cache import cache

from marktplatz.ledger.models import Account
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty.models import Booking
from marktplatz.purses import services as purse_services
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


def test_points_purse_and_voucher_pay_together_and_a_short_purse_books_nothing(
    pos, card, voucher, town_a
):
    purse_voucher = vouchers.voucher_sell(
        product=VoucherProduct.objects.create(city=town_a, name="Karte", value_minor=3000)
    )
    purse_services.voucher_load_onto_card(
        city=town_a, card=card, code=purse_voucher.secret, actor=None
    )
    assert pos.get(f"/cards/{card.number}").json()["purse"] == 3000
    short = {"card": card.number, "points": 100, "purse_amount": 3001,
             "voucher": voucher.secret, "voucher_amount": 500}  # fmt: skip
    refused = pos.post("/checkout", short, key="checkout-0010")
    assert (refused.status_code, refused.json()["error"]) == (409, "voucher_insufficient")
    assert _points(card) == 100 and VoucherRedemption.objects.count() == 0
    body = {**short, "purse_amount": 2500}
    paid = pos.post("/checkout", body, key="checkout-0011")
    assert paid.status_code == 201, paid.content
    answer = paid.json()
    assert (answer["purse_amount"], answer["purse_balance"]) == (2500, 500)
    assert (answer["points_value"], answer["voucher_amount"]) == (100, 500)
    again = pos.post("/checkout", body, key="checkout-0011")
    assert again.json() == answer and again.headers["Idempotent-Replayed"] == "true"
    assert pos.get(f"/cards/{card.number}").json()["purse"] == 500
    # The loaded voucher's code alone no longer pays.
    by_code = pos.post(
        "/vouchers/redeem", {"code": purse_voucher.secret, "amount": 100}, key="checkout-0012"
    )
    assert (by_code.status_code, by_code.json()["error"]) == (409, "voucher_on_card")
    assert ledger_verify() == []
