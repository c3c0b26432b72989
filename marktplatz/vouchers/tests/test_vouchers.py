"""City gift vouchers through the ledger: sale, partial redemption at several merchants,
refusals that change nothing, idempotent retries, expiry into breakage."""

import datetime as dt
import math

import pytest
from django.core.management import call_command
from django.utils import timezone

from marktplatz.core.ids import ALPHABET
from marktplatz.ledger.errors import IdempotencyConflict
from marktplatz.ledger.models import Account, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.testing import factories
from marktplatz.vouchers import services
from marktplatz.vouchers.codes import GROUPS, normalise_code
from marktplatz.vouchers.errors import (
    VoucherBadValue,
    VoucherExpired,
    VoucherInsufficient,
    VoucherNotAccepted,
    VoucherNotFound,
)
from marktplatz.vouchers.models import Voucher, VoucherProduct, VoucherRedemption


@pytest.fixture
def product(town_a):
    return VoucherProduct.objects.create(city=town_a, name="Stadtgutschein 50", value_minor=5000)


@pytest.fixture
def free(town_a):
    return VoucherProduct.objects.create(city=town_a, name="Wunschbetrag", kind="free")


@pytest.fixture
def shop_b(town_a):
    return factories.merchant(city=town_a, name="Buchladen")


def _redeem(town, shop, voucher, cents, key):
    return services.voucher_redeem(
        city=town, merchant=shop, code=voucher.secret, amount_minor=cents, idempotency_key=key
    )


def test_a_sold_voucher_has_an_unguessable_code_and_its_value(product, alice):
    voucher = services.voucher_sell(product=product, sold_by=alice)
    raw = voucher.secret.replace("-", "").lower().removeprefix("mpv1")
    assert len(raw) == 4 * GROUPS and set(raw) <= set(ALPHABET)
    assert len(raw) * math.log2(len(ALPHABET)) >= 80
    assert services.balance_of(voucher) == 5000
    assert Voucher.objects.exclude(secret=voucher.secret).count() == 0
    # Typed by hand: lower case, spaces, O for 0 and I for 1 still find it.
    typed = voucher.secret.lower().replace("-", " ").replace("0", "o").replace("1", "i")
    assert normalise_code(typed) == voucher.secret
    assert ledger_verify() == []


def test_it_is_valid_to_the_end_of_the_third_year(product, town_a):
    sold = dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC)
    expires = services.expiry_for(city=town_a, sold_at=sold)
    local = timezone.localtime(expires, timezone=dt.timezone(dt.timedelta(hours=1)))
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2029, 12, 31, 23, 59)


def test_a_free_value_stays_within_the_towns_limits(free):
    assert services.balance_of(services.voucher_sell(product=free, value_minor=2000)) == 2000
    for bad in (None, 100, 10**7, "20", True):
        with pytest.raises(VoucherBadValue):
            services.voucher_sell(product=free, value_minor=bad)
    assert Voucher.objects.count() == 1


def test_it_is_spent_in_parts_at_two_merchants(town_a, shop_a, shop_b, product):
    voucher = services.voucher_sell(product=product)
    first, created = _redeem(town_a, shop_a, voucher, 1990, "r1")
    assert created and first.balance_after == 3010
    second, _ = _redeem(town_a, shop_b, voucher, 3010, "r2")
    assert second.balance_after == 0
    owed = {
        shop.pk: Account.objects.get(pk=services.merchant_voucher_account(merchant=shop).pk).balance
        for shop in (shop_a, shop_b)
    }
    assert owed == {shop_a.pk: 1990, shop_b.pk: 3010}
    assert ledger_verify() == []


def test_more_than_the_balance_is_refused_with_the_balance(town_a, shop_a, product):
    voucher = services.voucher_sell(product=product)
    _redeem(town_a, shop_a, voucher, 4000, "r1")
    with pytest.raises(VoucherInsufficient) as refused:
        _redeem(town_a, shop_a, voucher, 1001, "r2")
    assert refused.value.details["balance"] == 1000
    assert "10,00" in str(refused.value.message)
    assert VoucherRedemption.objects.count() == 1
    for bad in (0, -5, True, 10.5):
        with pytest.raises(VoucherBadValue):
            _redeem(town_a, shop_a, voucher, bad, f"bad-{bad}")
    assert services.balance_of(voucher) == 1000


def test_a_retry_books_once_and_a_reused_key_is_a_conflict(town_a, shop_a, product):
    voucher = services.voucher_sell(product=product)
    first, created = _redeem(town_a, shop_a, voucher, 700, "till-1")
    again, created_again = _redeem(town_a, shop_a, voucher, 700, "till-1")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(IdempotencyConflict):
        _redeem(town_a, shop_a, voucher, 701, "till-1")
    assert services.balance_of(voucher) == 4300


def test_unknown_foreign_and_closed_cases_get_their_reason(town_a, town_b, shop_a, product):
    voucher = services.voucher_sell(product=product)
    foreign = VoucherProduct.objects.create(city=town_b, name="Gutschein", value_minor=1000)
    other = services.voucher_sell(product=foreign)
    for code in ("MPV1-0000-0000-0000-0000-0000", "nonsense", other.secret):
        with pytest.raises(VoucherNotFound):
            services.voucher_redeem(
                city=town_a, merchant=shop_a, code=code, amount_minor=100, idempotency_key="x"
            )
    shop_a.accepting = False
    shop_a.save()
    with pytest.raises(VoucherNotAccepted):
        _redeem(town_a, shop_a, voucher, 100, "closed")
    assert Transfer.objects.filter(reason_code="voucher.redeemed").count() == 0


def test_expired_vouchers_are_refused_and_their_rest_goes_to_breakage(town_a, shop_a, product):
    voucher = services.voucher_sell(product=product)
    _redeem(town_a, shop_a, voucher, 1500, "r1")
    later = voucher.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(VoucherExpired):
        services.voucher_redeem(
            city=town_a, merchant=shop_a, code=voucher.secret, amount_minor=100,
            idempotency_key="late", now=later,
        )  # fmt: skip
    assert services.vouchers_expire(city=town_a, now=later) == 1
    assert services.vouchers_expire(city=town_a, now=later) == 0  # twice changes nothing
    assert services.balance_of(voucher) == 0
    breakage = Account.objects.get(reference="operator:voucher-breakage")
    assert breakage.balance == 3500
    assert ledger_verify() == []


def test_the_daily_command_expires_in_every_town(town_a, product):
    voucher = services.voucher_sell(
        product=product, now=timezone.now() - dt.timedelta(days=5 * 366)
    )
    call_command("vouchers_expire")
    voucher.refresh_from_db()
    assert voucher.expired and services.balance_of(voucher) == 0


def test_the_sale_of_an_unnamed_product_names_it_in_the_books(town_a):
    unnamed = VoucherProduct.objects.create(city=town_a, name="", value_minor=2500)
    voucher = services.voucher_sell(product=unnamed)
    reasons = set(
        Transfer.objects.filter(credit_account=voucher.account).values_list(
            "transaction__reason", flat=True
        )
    )
    # Booked in the town's language, with the product's name (not an empty gap).
    assert reasons == {"Gutschein Stadtgutschein 25,00\xa0€ ausgegeben"}
