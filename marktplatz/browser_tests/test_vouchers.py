"""A city voucher in Chromium: sold at the operator's counter, spent in part at two
businesses, its rest checked on the public page, the month settled, the statement and the
SEPA payout file read by the operator; each page checked with axe-core."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.settlement.models import Statement
from marktplatz.settlement.services import period_bounds, settle_month
from marktplatz.testing import factories
from marktplatz.vouchers import services
from marktplatz.vouchers.models import Voucher, VoucherProduct

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_a_voucher_sold_at_the_counter_is_spent_at_two_businesses(
    page, persona, town_a, shop_a, log_in, visit, submit, town_url
):
    VoucherProduct.objects.create(city=town_a, name="Stadtgutschein 50", value_minor=5000)
    town_a.bank_account_holder, town_a.bank_iban = "Stadtmarketing", "DE89370400440532013000"
    town_a.save()
    # Operator staff without a second factor sees a hint instead of the sale form.
    log_in(town_a, persona("operator_staff"), second_factor=False)
    visit(town_url(town_a, "operator/vouchers/"))
    expect(page.get_by_test_id("two-factor-hint")).to_be_visible()
    expect(page.locator("[name='sale-product']")).to_have_count(0)
    page.context.clear_cookies()
    operator = persona("operator_admin")
    log_in(town_a, operator)
    visit(town_url(town_a, "operator/vouchers/"))
    page.select_option("[name='sale-product']", label="Stadtgutschein 50")
    submit("sale-product")
    voucher = Voucher.objects.get()
    expect(page.locator("figure.qr figcaption")).to_contain_text(voucher.secret)

    shop_b = factories.merchant(city=town_a, name="Buchladen")
    for shop, iban in ((shop_a, "DE02120300000000202051"), (shop_b, "DE02500105170137075030")):
        shop.iban, shop.association_member = iban, True  # members: 2 % commission, no fee
        shop.save()
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

    # The month is settled once it is over: here the test settles it as the first of next
    # month would (the page refuses a month that is not over), then the operator reads the
    # statements and takes the payout file.
    month = timezone.localdate().replace(day=1)
    _start, end = period_bounds(city=town_a, month=month)
    settle_month(city=town_a, month=month, now=end + dt.timedelta(hours=2))
    log_in(town_a, operator)
    visit(town_url(town_a, f"operator/settlement/?month={month:%Y-%m}"))
    expect(page.locator("main")).to_contain_text("41,65")  # 12.25 + 29.40 to pay out
    with page.expect_download() as download:
        page.get_by_text("pain.001").click()
    xml = etree.fromstring(Path(download.value.path()).read_bytes())  # noqa: S314
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    paid = {
        tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns): tx.findtext(
            "p:Amt/p:InstdAmt", namespaces=ns
        )
        for tx in xml.iterfind(".//p:CdtTrfTxInf", namespaces=ns)
    }
    assert paid == {shop_a.iban: "12.25", shop_b.iban: "29.40"}
    statement = Statement.objects.get(merchant=shop_a)
    visit(town_url(town_a, f"merchant/{shop_a.code}/statements/{statement.code}/"))
    expect(page.locator("tfoot")).to_contain_text("12,25")  # 12.50 less 2 %
    assert ledger_verify() == []
