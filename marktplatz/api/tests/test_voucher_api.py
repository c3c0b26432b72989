"""City vouchers through the POS API: lookup, partial payment, retries, refusals, guessing."""

import pytest
from django.core.cache import cache

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.vouchers import services
from marktplatz.vouchers.models import VoucherProduct, VoucherRedemption


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def voucher(town_a):
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=5000)
    return services.voucher_sell(product=product)


def test_a_till_looks_up_and_pays_with_a_voucher_once(pos, voucher):
    found = pos.get(f"/vouchers/{voucher.secret}")
    assert (found.status_code, found.json()["balance"], found.json()["currency"]) == (
        200,
        5000,
        "EUR",
    )
    body = {"code": voucher.secret, "amount": 1250}
    paid = pos.post("/vouchers/redeem", body, key="v-0000001")
    assert (paid.status_code, paid.json()["amount"], paid.json()["balance"]) == (201, 1250, 3750)
    again = pos.post("/vouchers/redeem", body, key="v-0000001")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == paid.json()["id"]
    conflict = pos.post("/vouchers/redeem", {**body, "amount": 1}, key="v-0000001")
    assert (conflict.status_code, conflict.json()["error"]) == (409, "idempotency_conflict")
    assert VoucherRedemption.objects.count() == 1
    assert ledger_verify() == []


def test_it_refuses_more_than_the_balance_and_bad_amounts(pos, voucher):
    over = pos.post("/vouchers/redeem", {"code": voucher.secret, "amount": 5001}, key="v-over-01")
    assert (over.status_code, over.json()["error"]) == (409, "voucher_insufficient")
    assert "50,00" in over.json()["message"]
    for amount in (0, -1, "12"):
        bad = pos.post(
            "/vouchers/redeem",
            {"code": voucher.secret, "amount": amount},
            key=f"v-bad-amount-{amount}",
        )
        assert bad.status_code == 422
    assert VoucherRedemption.objects.count() == 0


def test_foreign_and_unknown_codes_are_404_and_guessing_is_throttled(pos, town_b, settings):
    settings.GUESS_LIMIT = 20
    foreign = services.voucher_sell(
        product=VoucherProduct.objects.create(city=town_b, name="Bon", value_minor=1000)
    )
    assert pos.get(f"/vouchers/{foreign.secret}").status_code == 404
    for attempt in range(19):
        missing = pos.get(f"/vouchers/MPV1-0000-0000-0000-0000-{attempt:04d}")
        assert (missing.status_code, missing.json()["error"]) == (404, "voucher_not_found")
    refused = pos.get("/vouchers/MPV1-0000-0000-0000-0000-0000")
    assert (refused.status_code, refused.json()["error"]) == (429, "too_many_attempts")


def test_the_schema_documents_the_voucher_endpoints(client, town_a):
    paths = client.get("/altdorf/api/pos/v1/openapi.json").json()["paths"]
    assert {"/altdorf/api/pos/v1/vouchers/{code}", "/altdorf/api/pos/v1/vouchers/redeem"} <= set(
        paths
    )
