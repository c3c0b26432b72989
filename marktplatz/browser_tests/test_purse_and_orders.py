"""In Chromium, with axe-core on every page: a voucher ordered online and paid by an
imported camt.053 statement; an employer's CSV upload with its progress and its report of
bad rows, then the monthly load; the employee's purse by month; a cashier taking payment
from the card's purse."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.loyalty import services as loyalty
from marktplatz.purses.models import BenefitLoad, Employee
from marktplatz.testing import factories
from marktplatz.testing.camt import camt053
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct

pytestmark = [pytest.mark.browser, needs_browser_tools]


@pytest.fixture
def banked(town_a):
    town_a.bank_account_holder, town_a.bank_iban = "Stadtmarketing", "DE89370400440532013000"
    town_a.postal_code, town_a.postal_town = "79600", "Altdorf"
    town_a.save()
    return town_a


def test_a_voucher_ordered_online_is_paid_by_an_imported_bank_statement(
    page, persona, banked, log_in, visit, submit, town_url, tmp_path
):
    VoucherProduct.objects.create(city=banked, name="Stadtgutschein 25", value_minor=2500)
    visit(town_url(banked, "vouchers/buy/"))
    page.select_option("[name='product']", label="Stadtgutschein 25")
    page.fill("[name='quantity']", "2")
    page.fill("[name='buyer_name']", "Erika Muster")
    page.fill("[name='buyer_email']", "erika@example.org")
    submit("buyer_email")
    order = VoucherOrder.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(order.reference)
    expect(page.locator("figure.qr svg")).to_be_visible()  # the GiroCode
    # The operator imports the bank's statement: the order is paid, the vouchers issued.
    statement = tmp_path / "statement.xml"
    statement.write_bytes(
        camt053([{"amount": 5000, "reference": order.reference, "payer": "Erika Muster"}],
                iban=banked.bank_iban, currency="EUR")
    )  # fmt: skip
    log_in(banked, persona("operator_admin"))
    visit(town_url(banked, "operator/bank/"))
    page.set_input_files("[name='statement']", str(statement))
    submit("statement")
    expect(page.locator("[data-outcome='paid']")).to_have_count(1)
    assert Voucher.objects.filter(order=order).count() == 2
    visit(town_url(banked, f"vouchers/orders/{order.code}/"))
    expect(page.locator("[role=status]").first).to_contain_text("Bezahlt")


def test_an_employer_uploads_staff_loads_the_month_and_the_employee_pays_with_the_card(
    page, persona, banked, shop_a, log_in, visit, submit, town_url, tmp_path
):
    employee_user = factories.user("anna@example.org")
    card = loyalty.member_for_user(city=banked, user=employee_user).cards.get()
    admin = persona("employer_admin")
    employer = admin.roles.get().employer
    log_in(banked, admin, second_factor=False)
    visit(town_url(banked, f"employer/{employer.code}/"))
    bad = tmp_path / "staff.csv"
    bad.write_text(
        f"Personalnummer;Vorname;Nachname;Kartennummer\n1;Anna;Adler;{card.number}\n2;Bernd;;\n",
        encoding="utf-8",
    )
    page.set_input_files("[name='employees']", str(bad))
    submit("employees")
    expect(page.locator("progress")).to_be_visible()
    call_command("db_worker", "--batch", "--no-startup-delay")  # the background worker
    # The page polls: it shows the report without a reload.
    expect(page.locator("[data-status='failed']")).to_be_visible(timeout=10_000)
    expect(page.locator("#import-status table")).to_contain_text("3")
    assert not Employee.objects.exists()
    good = tmp_path / "staff-ok.csv"
    good.write_text(
        f"Personalnummer;Vorname;Nachname;Kartennummer\n1;Anna;Adler;{card.number}\n",
        encoding="utf-8",
    )
    visit(town_url(banked, f"employer/{employer.code}/"))
    page.set_input_files("[name='employees']", str(good))
    submit("employees")
    call_command("db_worker", "--batch", "--no-startup-delay")
    expect(page.locator("[data-status='done']")).to_be_visible(timeout=10_000)
    visit(town_url(banked, f"employer/{employer.code}/"))
    with page.expect_navigation():
        page.locator("form[action$='/load/'] button").click()
    # First what will be loaded, to confirm; nothing is loaded yet.
    expect(page.locator("[role=status]")).to_contain_text("50,00")
    expect(page.locator("table")).to_contain_text("Anna")
    assert not BenefitLoad.objects.exists()
    with page.expect_navigation():
        page.locator("form[method=post][action$='/load/'] button").click()
    expect(page.locator("[role=status]")).to_contain_text("50,00")
    assert BenefitLoad.objects.get().amount_minor == 5000
    # Back in the browser and confirmed again: nothing more is loaded.
    page.go_back()
    if page.locator("form[method=post][action$='/load/'] button").count():
        with page.expect_navigation():
            page.locator("form[method=post][action$='/load/'] button").click()
    expect(page.locator("table")).to_contain_text("Anna")
    assert BenefitLoad.objects.count() == 1
    # The employee sees the month's benefit on the card's purse.
    page.context.clear_cookies()
    log_in(banked, employee_user, second_factor=False)
    visit(town_url(banked, "card/purse/"))
    expect(page.get_by_test_id("purse-balance")).to_contain_text("50,00")
    expect(page.locator("table")).to_contain_text(employer.name)
    # The cashier takes 20,00 from the card.
    page.context.clear_cookies()
    log_in(banked, persona("merchant_cashier"), second_factor=False)
    visit(town_url(banked, f"merchant/{shop_a.code}/card-payment/"))
    page.fill("[name='card']", card.number)
    page.fill("[name='amount']", "20,00")
    submit("amount")
    expect(page.locator(".receipt")).to_contain_text("30,00")
