"""The chat in Chromium: a citizen on a phone and a cashier at the till's computer write
to each other in real time over the ASGI server's WebSockets; without a socket (the WSGI
live server has none) the page still gets the answer by polling. The town speaks German;
each page checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import (
    PHONE,
    browser_context,
    db_read,
    db_wait_for,
    needs_browser_tools,
)
from marktplatz.chat import services
from marktplatz.chat.models import Conversation, Message

pytestmark = [pytest.mark.browser, needs_browser_tools]


def test_a_citizen_and_a_cashier_chat_in_real_time(
    browser, asgi_server, persona, town_a, shop_a, check_a11y
):
    citizen = persona("citizen", email="kim@example.org")
    cashier = persona("merchant_cashier")
    phone = browser_context(browser, asgi_server.url, citizen, **PHONE).new_page()
    till = browser_context(browser, asgi_server.url, cashier).new_page()
    # A third page under the app's own Content-Security-Policy (its session made now, while
    # the server writes nothing: SQLite's shared in-memory database locks whole tables).
    strict = browser_context(browser, asgi_server.url, citizen, csp=True, **PHONE).new_page()

    phone.goto(f"/{town_a.slug}/merchants/{shop_a.code}/")
    phone.get_by_role("button", name="Nachricht schreiben").click()
    expect(phone.get_by_role("heading", name=shop_a.name)).to_be_visible()
    expect(phone.locator("#messages")).to_have_attribute("data-live", "1")
    check_a11y(phone)
    phone.get_by_role("textbox", name="Nachricht").fill("Haben Sie heute <Brezeln>?")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#messages li.mine")).to_contain_text("Haben Sie heute <Brezeln>?")
    expect(phone.locator("#messages li.mine .receipt-state")).to_have_text("Gesendet")

    till.goto(f"/{town_a.slug}/merchant/{shop_a.code}/inbox/")
    check_a11y(till)
    till.get_by_role("link", name="kim@example.org").click()
    expect(till.locator("#messages")).to_have_attribute("data-live", "1")
    check_a11y(till)
    # Opening it read the question: the citizen's phone says so without a reload.
    expect(phone.locator("#messages li.mine .receipt-state")).to_have_text("Gelesen")
    till.get_by_role("textbox", name="Nachricht").fill("Ja, noch bis 18 Uhr!")
    till.get_by_role("button", name="Senden").click()
    expect(phone.locator("#messages li:not(.mine)")).to_contain_text("Ja, noch bis 18 Uhr!")
    expect(till.locator("#messages li")).to_have_count(2)  # not doubled by the socket
    sides = db_read(lambda: list(Message.objects.order_by("pk").values_list("side", flat=True)))
    assert sides == ["citizen", "merchant"]
    # The phone tells the server it has read the answer (over the socket, a moment later).
    last = db_read(lambda: Message.objects.order_by("-pk")[0].pk)
    db_wait_for(lambda: Conversation.objects.get().citizen_read == last)
    code = db_read(lambda: Conversation.objects.get().code)

    # Under the app's own Content-Security-Policy the socket opens too (connect-src 'self').
    errors = []
    strict.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    strict.goto(f"/{town_a.slug}/conversations/{code}/")
    expect(strict.locator("#messages")).to_have_attribute("data-live", "1")
    assert errors == []


def test_without_a_socket_the_page_polls(page, persona, town_a, shop_a, log_in, visit, town_url):
    citizen = persona("citizen")
    owner = persona("merchant_owner")
    conversation = services.conversation_open(citizen=citizen, merchant=shop_a)
    services.message_post(conversation=conversation, sender=citizen, side="citizen", body="Hallo")
    log_in(town_a, citizen, second_factor=False)
    visit(town_url(town_a, f"conversations/{conversation.code}/"))
    # The WSGI live server has no WebSockets: the page falls back to polling.
    expect(page.locator("#messages")).to_have_attribute("data-live", "0")
    # Written while the page polls: tried again should SQLite lock the table (all or nothing).
    db_read(
        lambda: services.message_post(
            conversation=conversation, sender=owner, side="merchant", body="Hoi!"
        )
    )
    expect(page.locator("#messages")).to_contain_text("Hoi!", timeout=12_000)
