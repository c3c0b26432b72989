"""Offers and follows in Chromium: a shop owner publishes an offer with a picture for
followers, a citizen follows the shop from its page (htmx swaps the button) and finds the
offer first in the feed; each page checked with axe-core. The town speaks German."""

from __future__ import annotations

import io
import time

import pytest
from django.db import OperationalError
from PIL import Image
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.messenger.models import Follow, Offer, OfferDay
from marktplatz.testing import factories

pytestmark = [pytest.mark.browser, needs_browser_tools]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_an_offer_for_followers_reaches_a_citizen_who_follows_the_shop(
    page, persona, town_a, shop_a, log_in, visit, submit, town_url
):
    factories.offer(city=town_a, title="Stadtfest")  # the town's, for everybody
    log_in(town_a, persona("merchant_owner"))
    visit(town_url(town_a, f"merchant/{shop_a.code}/offers/"))
    expect(page.get_by_text("Noch keine Angebote", exact=False)).to_be_visible()
    page.get_by_role("link", name="Neues Angebot").click()
    page.fill("[name='title']", "Herbstbrot")
    page.fill("[name='text']", "Kürbiskernbrot, nur diese Woche.")
    page.select_option("[name='audience']", "followers")
    page.set_input_files(
        "[name='image']", files=[{"name": "brot.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.fill("[name='image_alt']", "Ein Laib Brot")
    with page.expect_navigation():
        page.get_by_role("button", name="Veröffentlichen").click()
    expect(page.locator("table")).to_contain_text("Herbstbrot")
    expect(page.locator("table")).to_contain_text("Aktiv")
    offer = Offer.objects.get(title="Herbstbrot")
    assert offer.image and offer.published_at is not None

    page.context.clear_cookies()
    citizen = persona("citizen")
    log_in(town_a, citizen, second_factor=False)
    visit(town_url(town_a, "offers/"))
    expect(page.locator(".offers")).not_to_contain_text("Herbstbrot")  # followers only
    visit(town_url(town_a, f"merchants/{shop_a.code}/"))
    page.get_by_role("button", name="Folgen", exact=True).click()
    expect(page.get_by_role("button", name="Nicht mehr folgen")).to_be_visible()
    assert Follow.objects.filter(user=citizen, merchant=shop_a).count() == 1
    visit(town_url(town_a, "offers/"))
    titles = page.locator(".offers h3").all_inner_texts()
    assert titles == ["Herbstbrot", "Stadtfest"]
    image = page.locator(".offers img").first
    expect(image).to_have_attribute("alt", "Ein Laib Brot")
    assert image.evaluate("(img) => img.complete && img.naturalWidth > 0")
    # Both offers are on the screen: the page reports them within a few seconds.
    _wait_for(lambda: _figure(offer, "impressions") == 1)
    visit(town_url(town_a, "follows/"))
    expect(page.locator("main")).to_contain_text(shop_a.name)

    # The offer's page: opened, saved (htmx), shared.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    visit(town_url(town_a, f"offers/{offer.code}/"))
    page.get_by_role("button", name="Merken").click()
    expect(page.get_by_role("button", name="Nicht mehr merken")).to_be_visible()
    # Without a share sheet the link is copied; cancelling the share sheet counts nothing;
    # sharing through it counts (once a day).
    page.evaluate("() => Object.defineProperty(navigator, 'share', {value: undefined})")
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.get_by_role("button", name="Teilen").click()
    expect(page.get_by_role("status")).to_have_text("Der Link ist kopiert.")
    assert page.evaluate("() => navigator.clipboard.readText()").endswith(f"/offers/{offer.code}/")
    _wait_for(lambda: _figure(offer, "shares") == 1)
    assert (_figure(offer, "opens"), _figure(offer, "saves")) == (1, 1)
    assert errors == []

    # The owner sees the figures beside the town's average, with the chart.
    page.context.clear_cookies()
    log_in(town_a, Offer.objects.get(pk=offer.pk).created_by)
    visit(town_url(town_a, f"merchant/{shop_a.code}/offers/"))
    row = page.locator("tbody tr", has_text="Herbstbrot")
    expect(row).to_contain_text("100")  # opened: 1 of 1 seen, 100 %
    expect(page.locator("figure.chart svg rect")).to_have_count(2)  # the offer, the town


def _figure(offer, kind: str) -> int:
    day = OfferDay.objects.filter(offer=offer).first()
    return getattr(day, kind) if day else 0


def _wait_for(condition, seconds: float = 10) -> None:
    """Poll ``condition`` (the page sends its figures every few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except OperationalError:
            pass  # SQLite's shared in-memory database: the server is writing that table
        assert time.monotonic() < deadline, "the figure was not counted in time"
        time.sleep(0.2)


def test_a_cashier_books_a_purchase_with_the_offer_the_customer_used(
    page, persona, town_a, shop_a, log_in, visit, town_url, check_a11y
):
    from marktplatz.loyalty import services as loyalty
    from marktplatz.loyalty.models import Booking

    offer = factories.offer(city=town_a, merchant=shop_a, title="Brezel-Tag", bonus_points=30)
    card = loyalty.member_for_user(
        city=town_a, user=persona("citizen", email="kim@example.org")
    ).cards.get()
    log_in(town_a, persona("merchant_cashier"), second_factor=False)
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    page.fill("[name='card']", card.number)
    page.locator("#pos-card-form button[type=submit]").click()
    page.locator("[name='amount']").fill("10,00")
    page.get_by_label("Genutztes Angebot").select_option(label="Brezel-Tag (+30 Bonuspunkte)")
    check_a11y(page)
    page.locator("form[hx-post$='/pos/earn/'] button[type=submit]").click()
    expect(page.locator(".receipt .big-number")).to_contain_text("+40")
    expect(page.locator(".receipt")).to_contain_text("Brezel-Tag")
    check_a11y(page)
    booking = Booking.objects.get(kind="earn")
    assert (booking.points, booking.offer_code) == (40, offer.code)
    _wait_for(lambda: _figure(offer, "redemptions") == 1)
