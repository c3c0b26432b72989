"""Click & collect in Chromium: a citizen on a phone orders for pickup, watches the
business's steps arrive in the chat in real time (the ASGI server's WebSockets), chats
with the cashier about it and chooses to pay with points; the cashier confirms from the
order board, answers in the chat, gets it ready and hands it over, which books the
points. The town speaks German; each page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import PHONE, browser_context, db_read, needs_browser_tools
from marktplatz.ledger.models import Account
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Booking
from marktplatz.merchants.hours import WEEKDAYS
from marktplatz.orders.models import Order, OrderSettings, Product

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_a_click_and_collect_order_paid_with_points(
    browser, asgi_server, persona, town_a, shop_a, check_a11y
):
    shop_a.opening_hours = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
    shop_a.save()
    OrderSettings.objects.create(
        city=town_a, merchant=shop_a, takes_orders=True, pickup=True, slot_minutes=60,
        lead_minutes=30,
    )  # fmt: skip
    Product.objects.create(city=town_a, merchant=shop_a, name="Bauernbrot", price_minor=450)
    citizen = persona("citizen", email="kim@example.org")
    member = loyalty.member_for_user(city=town_a, user=citizen)
    loyalty.bonus_grant(member=member, reason_code="bonus.test", points=900)  # 1.000 points
    cashier = persona("merchant_cashier")
    # Both sessions made before the server writes (SQLite's shared in-memory database).
    phone = browser_context(browser, asgi_server.url, citizen, **PHONE).new_page()
    till = browser_context(browser, asgi_server.url, cashier).new_page()

    phone.goto(f"/{town_a.slug}/merchants/{shop_a.code}/")
    phone.get_by_role("link", name="Bestellen", exact=True).click()
    check_a11y(phone)
    phone.get_by_label("Bauernbrot").fill("2")
    phone.get_by_label("Abholung", exact=True).check()
    phone.locator("#id_pickup_at").select_option(index=1)
    phone.get_by_role("button", name="Bestellung aufgeben").click()
    expect(
        phone.get_by_text("Vielen Dank. Das Geschäft wird Ihre Bestellung bestätigen.")
    ).to_be_visible()
    check_a11y(phone)
    order = db_read(lambda: Order.objects.get())
    assert (order.state, order.total_minor) == ("requested", 900)
    # The phone follows the order in the chat, live.
    phone.get_by_role("link", name="Chat zu dieser Bestellung").click()
    expect(phone.locator("#messages")).to_have_attribute("data-live", "1")
    expect(phone.locator("#messages")).to_contain_text("neue Bestellung")

    till.goto(f"/{town_a.slug}/merchant/{shop_a.code}/orders/")
    check_a11y(till)
    card = till.locator(f"[data-order='{order.code}']")
    expect(card).to_contain_text("2 × Bauernbrot")
    card.get_by_role("button", name="Bestätigen").click()
    expect(till.locator("[data-states='confirmed']")).to_contain_text(order.code)
    # The confirmation reaches the phone's chat without a reload.
    expect(phone.locator("#messages")).to_contain_text("bestätigt, fertig um")

    phone.goto(f"/{town_a.slug}/orders/{order.code}/")
    expect(phone.get_by_text("Sie haben 1.000 Punkte")).to_be_visible()
    phone.get_by_label("Punkte").fill("900")
    phone.get_by_role("button", name="Zahlung speichern").click()
    expect(phone.get_by_text("9,00 € mit der Stadtkarte bei der Übergabe")).to_be_visible()
    check_a11y(phone)
    phone.get_by_role("link", name="Chat zu dieser Bestellung").click()
    expect(phone.locator("#messages")).to_have_attribute("data-live", "1")

    # They chat about it in real time: the cashier writes, the phone answers.
    till.goto(f"/{town_a.slug}/orders/{order.code}/")
    till.get_by_role("link", name="Chat zu dieser Bestellung").click()
    expect(till.locator("#messages")).to_have_attribute("data-live", "1")
    till.get_by_role("textbox", name="Nachricht").fill("Mit Sesam oder ohne?")
    till.get_by_role("button", name="Senden").click()
    expect(phone.locator("#messages")).to_contain_text("Mit Sesam oder ohne?")
    phone.get_by_role("textbox", name="Nachricht").fill("Ohne, bitte!")
    phone.get_by_role("button", name="Senden").click()
    expect(till.locator("#messages")).to_contain_text("Ohne, bitte!")

    till.goto(f"/{town_a.slug}/orders/{order.code}/")
    till.get_by_role("button", name="Abholbereit").click()
    expect(phone.locator("#messages")).to_contain_text("abholbereit")
    check_a11y(till)
    till.get_by_role("button", name="Übergeben – 9,00 € auf der Stadtkarte buchen").click()
    expect(till.locator("[data-state]")).to_have_text("Abgeschlossen")
    expect(till.get_by_text("9,00 € mit der Stadtkarte bezahlt")).to_be_visible()
    expect(phone.locator("#messages")).to_contain_text("übergeben. Vielen Dank!")
    redeemed = db_read(lambda: Booking.objects.get(kind="redeem"))
    assert redeemed.points == 900 and redeemed.merchant_id == shop_a.pk
    assert db_read(lambda: Account.objects.get(pk=member.account_id).balance) == 100
