"""The city card in Chromium: a citizen's card page, and a cashier booking at the till
(typing the card number, htmx swapping the steps), each page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services
from marktplatz.loyalty.models import Booking

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_a_citizen_shows_the_card(page, persona, town_a, log_in, visit, town_url):
    citizen = persona("citizen")
    log_in(town_a, citizen, second_factor=False)
    visit(town_url(town_a, "card/"))
    # Nobody holds a town's card without asking for it: the page offers to join.
    join = page.get_by_test_id("join")
    expect(join).to_be_visible()
    join.locator("button[type=submit]").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    expect(page.locator("#h-balance")).to_be_visible()
    card = services.member_for_user(city=town_a, user=citizen).cards.get()
    expect(page.locator(".card-number strong")).to_contain_text(card.number[-4:])


def test_a_cashier_books_a_purchase_at_the_till(
    page, persona, town_a, shop_a, log_in, visit, town_url, check_a11y
):
    cashier = persona("merchant_cashier")
    card = services.member_for_user(
        city=town_a, user=persona("citizen", email="kim@example.org")
    ).cards.get()
    log_in(town_a, cashier, second_factor=False)
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    page.fill("[name='card']", card.number)
    page.locator("#pos-card-form button[type=submit]").click()
    amount = page.locator("[name='amount']")
    expect(amount).to_be_visible()
    check_a11y(page)
    amount.fill("18,90")
    page.locator("form[hx-post$='/pos/earn/'] button[type=submit]").click()
    expect(page.locator(".receipt")).to_be_visible()
    check_a11y(page)
    expect(page.locator(".receipt .big-number")).to_contain_text("+18")
    booking = Booking.objects.get(kind="earn")
    assert (booking.purchase_minor, booking.points, booking.card) == (1890, 18, card)
    assert ledger_verify() == []


def test_the_directory_puts_the_shops_on_a_map(page, town_a, shop_a, visit, town_url):
    from decimal import Decimal

    shop_a.latitude, shop_a.longitude = Decimal("47.56"), Decimal("7.79")
    shop_a.save()
    visit(town_url(town_a, "merchants/"))
    marker = page.locator(".leaflet-marker-icon")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("alt", shop_a.name)
