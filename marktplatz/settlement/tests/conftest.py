"""An active month at two businesses: points earned, refunded and paid with, a voucher."""

import datetime as dt

import pytest
from django.utils import timezone

from marktplatz.loyalty import services as loyalty
from marktplatz.settlement import services
from marktplatz.testing import factories
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct

THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def month_over(town_a):
    """An instant after this month (and its grace hour), to settle the current month."""
    _start, end = services.period_bounds(city=town_a, month=THIS_MONTH)
    return end + dt.timedelta(hours=2)


@pytest.fixture
def shop_b(town_a):
    shop = factories.merchant(city=town_a, name="Buchladen")
    shop.association_member = True
    shop.save()
    return shop


@pytest.fixture
def activity(town_a, shop_a, shop_b, dave):
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()  # 100 welcome points
    earn = lambda shop, cents, key: loyalty.earn(  # noqa: E731
        city=town_a, merchant=shop, card=card, purchase_minor=cents, currency="EUR",
        idempotency_key=key,
    )[0]  # fmt: skip
    purchase = earn(shop_a, 12000, "e1")  # 120 points issued by shop A
    earn(shop_a, 3000, "e2")  # 30 more
    loyalty.refund(booking=purchase, purchase_minor=2000, idempotency_key="r1")  # 20 back
    loyalty.redeem(city=town_a, merchant=shop_b, card=card, points=100, idempotency_key="p1")
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=5000)
    voucher = vouchers.voucher_sell(product=product)
    for shop, cents, key in ((shop_a, 2000, "v1"), (shop_b, 2500, "v2")):
        vouchers.voucher_redeem(
            city=town_a, merchant=shop, code=voucher.secret, amount_minor=cents,
            idempotency_key=key,
        )  # fmt: skip
    return card
