"""Every page of the city card for each role, opened in Chromium and checked by axe-core."""

from __future__ import annotations

import pytest

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.loyalty import services
from marktplatz.loyalty.models import Reward
from marktplatz.vouchers.models import VoucherProduct
from marktplatz.vouchers.services import voucher_sell

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_the_operator_pages(page, persona, town_a, shop_a, log_in, visit, town_url):
    operator = persona("operator_admin")
    Reward.objects.create(city=town_a, merchant=shop_a, title="Parken", points=60)
    voucher = voucher_sell(
        product=VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2500)
    )
    log_in(town_a, operator)
    for path in (
        "operator/vouchers/",
        "operator/settlement/",
        f"operator/vouchers/{voucher.code}/",
        "operator/card/",
        "operator/card/rules/",
        "operator/card/holders/",
        "operator/card/holders/?q=nobody",
        "operator/rewards/",
        "operator/merchants/",
        f"operator/merchants/{shop_a.code}/",
        "operator/staff/",
        "operator/audit/",
        "operator/settings/",
        "operator/departments/",
        "operator/employers/",
    ):
        visit(town_url(town_a, path))


def test_the_merchant_pages(page, persona, town_a, shop_a, log_in, visit, town_url):
    import datetime as dt

    from marktplatz.settlement.models import Statement

    owner = persona("merchant_owner")
    statement = Statement.objects.create(
        city=town_a, merchant=shop_a, period_start=dt.date(2026, 1, 1), net_minor=0
    )
    log_in(town_a, owner)
    for path in (
        "pos/",
        "pos/today/",
        "vouchers/",
        "statements/",
        f"statements/{statement.code}/",
        "keys/",
        "rewards/",
        "staff/",
        "edit/",
        "",
    ):
        visit(town_url(town_a, f"merchant/{shop_a.code}/{path}"))


def test_the_citizen_pages(page, persona, town_a, shop_a, log_in, visit, town_url):
    citizen = persona("citizen")
    services.member_for_user(city=town_a, user=citizen)
    Reward.objects.create(city=town_a, merchant=shop_a, title="Parken", points=60)
    log_in(town_a, citizen, second_factor=False)
    for path in (
        "card/",
        "rewards/",
        "merchants/",
        f"merchants/{shop_a.code}/",
        "me/",
        "vouchers/balance/",
    ):
        visit(town_url(town_a, path))
