"""Guessing card numbers, voucher and reward codes: counted per business, on every endpoint
that takes one, the till pages included; a used-up voucher says no more than an unknown one."""

import pytest

from marktplatz.api.services import terminal_key_create
from marktplatz.loyalty.models import Reward
from marktplatz.loyalty.rewards import reward_claim
from marktplatz.testing import factories
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct

LIMIT = 5
UNKNOWN_CARD = "4000 0000 0000 0002"  # a valid check digit, no such card


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.GUESS_LIMIT = LIMIT


@pytest.fixture
def voucher(town_a):
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2000)
    return vouchers.voucher_sell(product=product)


def _unknown_voucher(n: int) -> str:
    return f"MPV1-0000-0000-0000-0000-{n:04d}"


# Each way of trying one unknown code through the API, with the answer it gets.
TRIES = {
    "card lookup": lambda pos, n: pos.get(f"/cards/{UNKNOWN_CARD}"),
    "earn": lambda pos, n: pos.post(
        "/earn", {"card": UNKNOWN_CARD, "amount": 100, "currency": "EUR"}, key=f"earn-{n:05d}"
    ),
    "redeem": lambda pos, n: pos.post(
        "/redeem", {"card": UNKNOWN_CARD, "points": 10}, key=f"redeem-{n:05d}"
    ),
    "checkout card": lambda pos, n: pos.post(
        "/checkout", {"card": UNKNOWN_CARD, "points": 10}, key=f"checkout-c-{n:05d}"
    ),
    "checkout voucher": lambda pos, n: pos.post(
        "/checkout",
        {"voucher": _unknown_voucher(n), "voucher_amount": 100},
        key=f"checkout-v-{n:05d}",
    ),
    "voucher lookup": lambda pos, n: pos.get(f"/vouchers/{_unknown_voucher(n)}"),
    "voucher redeem": lambda pos, n: pos.post(
        "/vouchers/redeem", {"code": _unknown_voucher(n), "amount": 100}, key=f"vredeem-{n:05d}"
    ),
    "reward fulfil": lambda pos, n: pos.post(
        "/rewards/fulfil", {"code": f"MPR1-NOSUCHCODE{n:04d}"}, key=f"fulfil-{n:05d}"
    ),
}


@pytest.mark.parametrize("way", TRIES)
def test_it_throttles_unknown_codes_on_every_endpoint(pos, card, way):
    for n in range(LIMIT):
        answer = TRIES[way](pos, n)
        assert answer.status_code in {404, 409}, answer.content
    refused = TRIES[way](pos, LIMIT)
    assert (refused.status_code, refused.json()["error"]) == (429, "too_many_attempts")
    assert int(refused["Retry-After"]) > 0
    # Now even a real card is refused: a guesser must not learn which guesses exist.
    known = pos.get(f"/cards/{card.qr_token}")
    assert known.status_code == 429


def test_the_limit_is_per_business_not_per_key(pos, card, shop_a, bob, town_a):
    _key, second = terminal_key_create(merchant=shop_a, name="Kasse 2", actor=bob)
    for n in range(LIMIT):
        token = second if n % 2 else None
        answer = pos.get(f"/vouchers/{_unknown_voucher(n)}", **({"token": token} if token else {}))
        assert answer.status_code == 404
    assert pos.get(f"/cards/{card.qr_token}", token=second).status_code == 429
    # Another business of the town is not affected.
    other = factories.merchant(city=town_a, name="Metzgerei")
    owner = factories.person("otto@example.org", town_a, "merchant_owner", merchant=other)
    _key, third = terminal_key_create(merchant=other, name="Kasse", actor=owner)
    assert pos.get(f"/cards/{card.qr_token}", token=third).status_code == 200


def test_known_codes_do_not_count(pos, card, voucher, shop_a, town_a):
    reward = Reward.objects.create(
        city=town_a, merchant=shop_a, title="Brezel", points=1, per_person_limit=LIMIT * 2
    )
    for n in range(LIMIT * 2):
        assert pos.get(f"/cards/{card.number}").status_code == 200
        assert pos.get(f"/vouchers/{voucher.secret}").status_code == 200
        claim = reward_claim(member=card.member, reward=reward, idempotency_key=f"claim-{n}")
        fulfilled = pos.post("/rewards/fulfil", {"code": claim.token}, key=f"fulfil-ok-{n:04d}")
        assert fulfilled.status_code == 200


def test_the_till_pages_and_the_api_share_one_count(client, pos, card, bob, shop_a, voucher):
    client.force_login(bob)
    till = f"/altdorf/merchant/{shop_a.code}"
    for _n in range(LIMIT - 2):
        page = client.post(f"{till}/pos/card/", {"card": UNKNOWN_CARD})
        assert page.status_code == 200
    assert pos.get(f"/cards/{UNKNOWN_CARD}").status_code == 404
    page = client.post(
        f"{till}/vouchers/", {"code": _unknown_voucher(1), "amount": "1,00", "key": "k" * 12}
    )
    assert page.status_code == 200
    # The limit is reached: the API and every till page refuse, even a real card.
    assert pos.get(f"/cards/{card.qr_token}").status_code == 429
    refused = client.post(f"{till}/pos/card/", {"card": card.qr_token})
    assert refused.status_code == 429
    assert "Zu viele Versuche" in refused.content.decode()
    # The till swaps in only 2xx answers (htmx): there the refusal comes as one.
    swapped = client.post(f"{till}/pos/card/", {"card": card.qr_token}, HTTP_HX_REQUEST="true")
    assert swapped.status_code == 200
    assert "Zu viele Versuche" in swapped.content.decode()
    payment = client.post(
        f"{till}/card-payment/", {"card": card.number, "amount": "1,00", "key": "k" * 12}
    )
    assert payment.status_code == 429
    page = client.post(
        f"{till}/vouchers/", {"code": voucher.secret, "amount": "1,00", "key": "k" * 12}
    )
    assert page.status_code == 429


def _spend(voucher, merchant):
    vouchers.voucher_redeem(
        city=voucher.city,
        merchant=merchant,
        code=voucher.secret,
        amount_minor=vouchers.balance_of(voucher),
        idempotency_key=f"spend-{voucher.code}",
    )


def test_a_used_up_voucher_answers_like_an_unknown_one(pos, voucher, shop_a, settings):
    settings.GUESS_LIMIT = 10
    _spend(voucher, shop_a)
    asks = [
        lambda code, n: pos.get(f"/vouchers/{code}"),
        lambda code, n: pos.post(
            "/vouchers/redeem", {"code": code, "amount": 100}, key=f"used-r-{n}-{code[-4:]}"
        ),
        lambda code, n: pos.post(
            "/checkout", {"voucher": code, "voucher_amount": 100}, key=f"used-c-{n}-{code[-4:]}"
        ),
    ]
    for n, ask in enumerate(asks):
        used, unknown = ask(voucher.secret, n), ask(_unknown_voucher(n), n)
        assert (used.status_code, used.json()) == (unknown.status_code, unknown.json())
        assert used.json()["error"] == "voucher_not_found"


def test_a_voucher_with_too_little_left_still_says_how_much(pos, voucher):
    over = pos.post("/vouchers/redeem", {"code": voucher.secret, "amount": 2001}, key="over-0001")
    assert (over.status_code, over.json()["error"]) == (409, "voucher_insufficient")
    assert "20,00" in over.json()["message"]


def test_a_purchase_for_an_unknown_card_at_the_till_counts_once(client, pos, card, bob, shop_a):
    client.force_login(bob)
    till = f"/altdorf/merchant/{shop_a.code}/pos"
    for n in range(LIMIT // 2 + 1):  # counted twice each, these would reach the limit
        booked = client.post(
            f"{till}/earn/", {"card": UNKNOWN_CARD, "amount": "10,00", "key": f"earn-{n:08d}"}
        )
        assert booked.status_code == 200
    assert pos.get(f"/cards/{card.qr_token}").status_code == 200


def test_the_till_page_says_the_same_for_used_up_and_unknown_vouchers(client, bob, shop_a, voucher):
    _spend(voucher, shop_a)
    client.force_login(bob)
    url = f"/altdorf/merchant/{shop_a.code}/vouchers/"
    used = client.post(url, {"code": voucher.secret, "amount": "1,00", "key": "k" * 12})
    unknown = client.post(url, {"code": _unknown_voucher(7), "amount": "1,00", "key": "k" * 13})
    assert used.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert used.context["form"].non_field_errors() == [
        "Kein Gutschein mit diesem Code in dieser Stadt."
    ]
