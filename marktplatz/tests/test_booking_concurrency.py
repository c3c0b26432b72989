"""Every kind of booking on one card at one business at once, on PostgreSQL.

Earning, paying with points, refunds, the card's purse, a voucher, a checkout of all
three, an order paid with the card on handover, expiry, the operator's corrections, bonuses and rewards all lock the accounts they
touch in one order (``ledger.services.lock_for_posting``). Before they did, a refund and a
purchase on the same card and business deadlocked. Here eight tills and the operator hit
the same rows at once: refusals a till would show are fine (not enough points, nothing
left to refund), anything else (a deadlock, a server error) fails the test, and the books
must balance afterwards.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from marktplatz.api.checkout import checkout_pay
from marktplatz.ledger.errors import InsufficientFunds
from marktplatz.ledger.models import Account, Transaction
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import rewards
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.errors import BadAmount, NotRefundable, RedemptionRefused
from marktplatz.loyalty.models import Booking, Card, PointsLot, Reward
from marktplatz.merchants.hours import WEEKDAYS
from marktplatz.orders import services as orders
from marktplatz.orders.models import Product
from marktplatz.orders.services import OrderRefused
from marktplatz.purses import services as purses
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.errors import VoucherInsufficient
from marktplatz.vouchers.models import VoucherProduct, VoucherRedemption

pytestmark = pytest.mark.django_db(transaction=True)

# What a till shows the cashier as a refusal; everything else is a defect.
REFUSALS = (InsufficientFunds, BadAmount, NotRefundable, RedemptionRefused, VoucherInsufficient,
            OrderRefused)  # fmt: skip
ROUNDS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


@pytest.fixture
def scene(town_a, shop_a):
    # The business's accounts are older than the card's (lower primary keys): the order
    # in which the old refund path took its locks deadlocked against a purchase.
    loyalty.merchant_account(merchant=shop_a)
    programme = loyalty.programme_for(city=town_a)
    programme.daily_cap_per_card = 1_000_000
    programme.save()
    vouchers.merchant_voucher_account(merchant=shop_a)
    # The card's holder also orders at the business and pays with the card on handover.
    holder = factories.person("holder@example.org", town_a, "citizen")
    member = loyalty.member_create(city=town_a, user=holder)
    card = loyalty.card_issue(member=member, form=Card.Form.PLASTIC)
    shop_a.opening_hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    shop_a.save()
    orders.order_settings_save(
        merchant=shop_a, actor=None,
        values={"takes_orders": True, "delivery": True, "delivery_postcodes": shop_a.postcode},
    )  # fmt: skip
    bread = Product.objects.create(city=town_a, merchant=shop_a, name="Brot", price_minor=450)
    loyalty.bonus_grant(member=member, reason_code="bonus.test", points=5000)
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=50000)
    on_card = vouchers.voucher_sell(product=product)
    purses.voucher_load_onto_card(city=town_a, card=card, code=on_card.secret, actor=None)
    paper = vouchers.voucher_sell(product=product)
    big, _created = loyalty.earn(
        city=town_a, merchant=shop_a, card=card, purchase_minor=200000, currency="EUR",
        idempotency_key="big-purchase",
    )  # fmt: skip
    reward = Reward.objects.create(
        city=town_a, merchant=shop_a, title="Kaffee", points=10, stock=100, per_person_limit=100
    )
    # Some points are due to expire while the tills book.
    PointsLot.objects.filter(member=member, booking__kind="bonus").update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    return {"member": member, "card": card, "paper": paper, "big": big, "reward": reward,
            "holder": holder, "bread": bread}  # fmt: skip


def _order_paid_on_handover(scene: dict, shop: Any, index: int, round_: int) -> None:
    """An order of the card's holder, paid with points and the purse when handed over."""
    order, _created = orders.order_place(
        citizen=scene["holder"], merchant=shop, fulfilment="delivery",
        quantities={scene["bread"].code: 1}, form_key=f"order-{index}-{round_}",
        address={"name": "H", "street": "Weg 1", "postcode": shop.postcode},
    )  # fmt: skip
    orders.order_confirm(order=order, actor=None, ready_at=timezone.now())
    orders.order_pay_choose(order=order, citizen=scene["holder"], points=100, purse_minor=100)
    orders.order_ready(order=order, actor=None)
    orders.order_complete(order=order, actor=None)


def test_every_kind_of_booking_at_once_on_one_card_and_business(town_a, shop_a, scene):
    card, member, big = scene["card"], scene["member"], scene["big"]
    done: dict[str, int] = {}
    refused: dict[str, int] = {}
    lock = threading.Lock()

    def note(counter: dict[str, int], kind: str) -> None:
        with lock:
            counter[kind] = counter.get(kind, 0) + 1

    operations = {
        "earn": lambda i, r: loyalty.earn(
            city=town_a, merchant=shop_a, card=card.number, purchase_minor=1000 + r,
            currency="EUR", idempotency_key=f"earn-{i}-{r}",
        ),
        "redeem": lambda i, r: loyalty.redeem(
            city=town_a, merchant=shop_a, card=card, points=100, idempotency_key=f"redeem-{i}-{r}"
        ),
        "refund": lambda i, r: loyalty.refund(
            booking=big, purchase_minor=1000, idempotency_key=f"refund-{i}-{r}"
        ),
        "purse": lambda i, r: purses.purse_pay(
            city=town_a, merchant=shop_a, card=card, amount_minor=150,
            idempotency_key=f"purse-{i}-{r}",
        ),
        "voucher": lambda i, r: vouchers.voucher_redeem(
            city=town_a, merchant=shop_a, code=scene["paper"].secret, amount_minor=120,
            idempotency_key=f"voucher-{i}-{r}",
        ),
        "checkout": lambda i, r: checkout_pay(
            city=town_a, merchant=shop_a, card=card.number, points=100, purse_amount=100,
            voucher_code=scene["paper"].secret, voucher_amount=100,
            idempotency_key=f"checkout-{i}-{r}",
        ),
        "operator": lambda i, r: (
            loyalty.points_adjust(member=member, points=7 if r % 2 else -7, reason="Test",
                                  actor=None),
            loyalty.points_expire(city=town_a),
            loyalty.bonus_grant(member=member, reason_code="bonus.test", points=3),
        ),
        "order": lambda i, r: _order_paid_on_handover(scene, shop_a, i, r),
        "reward": lambda i, r: rewards.reward_claim(
            member=member, reward=scene["reward"], idempotency_key=f"reward-{i}-{r}"
        ),
    }  # fmt: skip
    kinds = list(operations)
    deadlocks: list[BaseException] = []

    def till(index: int) -> None:
        kind = kinds[index % len(kinds)]
        for round_ in range(ROUNDS):
            # Each till also does what the next one does, so every pair of kinds meets.
            for each in (kind, kinds[(index + round_ + 1) % len(kinds)]):
                try:
                    operations[each](index, round_)
                    note(done, each)
                except REFUSALS:
                    note(refused, each)
                except OperationalError as error:  # a deadlock: the defect this is about
                    deadlocks.append(error)
                    raise

    run_in_threads(till, threads=len(kinds))
    assert deadlocks == []
    # Every kind went through at least once (the test exercised what it claims to).
    assert set(done) == set(kinds), (done, refused)
    assert ledger_verify() == []
    # The card's points, its lots and its bookings agree.
    account = Account.objects.get(pk=member.account_id)
    lots = sum(PointsLot.objects.filter(member=member).values_list("remaining", flat=True))
    assert account.balance == lots
    assert VoucherRedemption.objects.filter(voucher=scene["paper"]).exists()


def test_a_retried_request_in_flight_gets_the_first_answer(town_a, shop_a, scene):
    """20 identical redeems (and refunds) at once: one booking, and the same answer for
    all, never "not enough points" for the points the first one took."""
    card, big = scene["card"], scene["big"]
    balance = Account.objects.get(pk=scene["member"].account_id).available
    # The redeem takes everything there is: a retry judged on the balance would fail.
    answers: list[tuple[str, object]] = []
    lock = threading.Lock()

    def retry(_index: int) -> None:
        try:
            booking, _created = loyalty.redeem(
                city=town_a, merchant=shop_a, card=card, points=balance,
                idempotency_key="till-7:receipt-1",
            )  # fmt: skip
            outcome = ("booked", booking.pk)
        except Exception as error:  # every answer is compared below
            outcome = ("error", type(error).__name__)
        with lock:
            answers.append(outcome)

    run_in_threads(retry, threads=20)
    assert len(answers) == 20 and len(set(answers)) == 1, answers
    assert answers[0][0] == "booked"
    assert Transaction.objects.filter(idempotency_key="till-7:receipt-1").count() == 1

    refunds: list[tuple[str, object]] = []

    def refund_retry(_index: int) -> None:
        try:
            correction, _created = loyalty.refund(
                booking=big, purchase_minor=None, idempotency_key="till-7:refund-1"
            )
            outcome = ("booked", correction.pk)
        except Exception as error:  # every answer is compared below
            outcome = ("error", type(error).__name__)
        with lock:
            refunds.append(outcome)

    run_in_threads(refund_retry, threads=20)
    assert len(refunds) == 20 and len(set(refunds)) == 1, refunds
    assert refunds[0][0] == "booked"
    assert Booking.objects.filter(original=big).count() == 1
    assert ledger_verify() == []


def test_twenty_retries_of_one_key_at_the_pos_api_get_one_answer(town_a, shop_a, scene):
    """A till retrying a timed-out payment 20 times at once: one booking, 20 × 201 with
    the same body (all but one marked Idempotent-Replayed), never 409."""
    from django.test import Client

    from marktplatz.api.services import terminal_key_create

    _key, token = terminal_key_create(merchant=shop_a, name="Kasse 9", actor=None)
    points = Account.objects.get(pk=scene["member"].account_id).available
    answers: list[tuple[int, bytes, str]] = []
    lock = threading.Lock()

    def retry(_index: int) -> None:
        answer = Client().post(
            "/altdorf/api/pos/v1/redeem",
            {"card": scene["card"].number, "points": points},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY="till-9:receipt-77",
        )
        with lock:
            answers.append(
                (answer.status_code, answer.content, answer.get("Idempotent-Replayed", ""))
            )

    run_in_threads(retry, threads=20)
    assert {(status, body) for status, body, _replayed in answers} == {(201, answers[0][1])}, (
        answers
    )
    assert sorted(replayed for _s, _b, replayed in answers) == [""] + ["true"] * 19
    assert Transaction.objects.filter(idempotency_key__endswith=":till-9:receipt-77").count() == 1
    assert ledger_verify() == []
