"""A city voucher in Chromium: sold at the operator's counter, spent in part at two
businesses, its rest checked on the public page; each page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.testing import factories
from marktplatz.vouchers import services
from marktplatz.vouchers.models import Voucher, VoucherProduct

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_a_voucher_sold_at_the_counter_is_spent_at_two_businesses(
    page, persona, town_a, shop_a, log_in, visit, submit, town_url
):
    VoucherProduct.objects.create(city=town_a, name="Stadtgutschein 50", value_minor=5000)
    log_in(town_a, persona("operator_staff"), second_factor=False)
    visit(town_url(town_a, "operator/vouchers/"))
    page.select_option("[name='sale-product']", label="Stadtgutschein 50")
    submit("sale-product")
    voucher = Voucher.objects.get()
    expect(page.locator("figure.qr figcaption")).to_contain_text(voucher.secret)

    shop_b = factories.merchant(city=town_a, name="Buchladen")
    for shop, cashier, amount in (
        (shop_a, persona("merchant_cashier"), "12,50"),
        (
            shop_b,
            factories.person("ben@example.org", town_a, "merchant_cashier", merchant=shop_b),
            "30,00",
        ),
    ):
        page.context.clear_cookies()
        log_in(town_a, cashier, second_factor=False)
        visit(town_url(town_a, f"merchant/{shop.code}/vouchers/"))
        page.fill("[name='code']", voucher.secret)
        page.fill("[name='amount']", amount)
        submit("amount")
        expect(page.locator(".receipt .big-number")).to_contain_text(amount)
    expect(page.locator(".receipt")).to_contain_text("7,50")

    page.context.clear_cookies()
    visit(town_url(town_a, "vouchers/balance/"))
    page.fill("[name='code']", voucher.secret.lower().replace("-", " "))
    submit("code")
    expect(page.locator(".receipt .big-number")).to_contain_text("7,50")
    assert services.balance_of(voucher) == 750
    assert ledger_verify() == []
