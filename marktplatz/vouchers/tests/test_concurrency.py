"""Many tills spending one voucher at once, on PostgreSQL: never more than its value."""

import pytest
from django.db import connection

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.testing.threads import run_in_threads
from marktplatz.vouchers import services
from marktplatz.vouchers.errors import VoucherInsufficient
from marktplatz.vouchers.models import VoucherProduct, VoucherRedemption

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


def test_a_voucher_is_never_spent_twice(town_a, shop_a):
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=5000)
    voucher = services.voucher_sell(product=product)
    paid, refused = [], []

    def spend(index):
        for attempt in range(5):
            try:
                services.voucher_redeem(
                    city=town_a, merchant=shop_a, code=voucher.secret, amount_minor=300,
                    idempotency_key=f"t{index}-{attempt}",
                )  # fmt: skip
                paid.append(1)
            except VoucherInsufficient:
                refused.append(1)

    run_in_threads(spend)
    # 40 attempts of 3.00 on 50.00: 16 go through, 2.00 remain.
    assert (len(paid), len(refused)) == (16, 24)
    assert VoucherRedemption.objects.count() == 16
    assert services.balance_of(voucher) == 200
    assert ledger_verify() == []
