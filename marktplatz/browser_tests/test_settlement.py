"""The operator settles last month in Chromium: the month, then what will be paid out and
collected per business, confirmed; then the direct-debit file, downloaded twice as the
same file. Each page checked with axe-core."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marktplatz.audit.models import AuditEvent
from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.cities.models import City
from marktplatz.settlement.models import PaymentFile, SettlementRun, Statement
from marktplatz.testing import factories

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_the_operator_confirms_the_settlement_and_downloads_one_file_twice(
    page, persona, town_a, shop_a, log_in, visit, submit, town_url
):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    City.objects.filter(pk=town_a.pk).update(
        created_at=dt.datetime(last_month.year, last_month.month, 1, 12, tzinfo=dt.UTC),
        bank_account_holder="Stadtmarketing", bank_iban="DE89370400440532013000",
        bank_bic="COBADEFFXXX", sepa_creditor_id="DE98ZZZ09999999999",
    )  # fmt: skip
    shop_b = factories.merchant(city=town_a, name="Buchladen")
    for shop, iban in ((shop_a, "DE02120300000000202051"), (shop_b, "DE02500105170137075030")):
        shop.iban, shop.association_member = iban, False  # 15,00 monthly fee each
        shop.save()
    operator = persona("operator_admin")
    log_in(town_a, operator)
    visit(town_url(town_a, "operator/settlement/"))
    page.fill("[name='month']", f"{last_month:%Y-%m}")
    submit("month")
    # The confirmation: both businesses and the total to collect; nothing written yet.
    expect(page.locator("main table")).to_contain_text("Buchladen")
    expect(page.locator("main table")).to_contain_text(shop_a.name)
    expect(page.locator("main [role=status]")).to_contain_text("30,00")
    assert not Statement.objects.exists()
    submit("confirm")
    expect(page.locator("main")).to_contain_text("2 ")
    assert Statement.objects.count() == 2 and SettlementRun.objects.count() == 1
    assert AuditEvent.objects.filter(action="settlement.month_settled").count() == 1
    files = []
    for _time in range(2):
        with page.expect_download() as download:
            page.get_by_text("pain.008").click()
        files.append(Path(download.value.path()).read_bytes())
    assert files[0] == files[1] and PaymentFile.objects.get().xml == files[0]
    visit(town_url(town_a, f"operator/settlement/?month={last_month:%Y-%m}"))
    expect(page.locator("main")).to_contain_text(PaymentFile.objects.get().message_id)
