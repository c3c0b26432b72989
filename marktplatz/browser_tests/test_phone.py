"""The till and the back office on a phone (375 x 812 in Chromium): no page scrolls
sideways, the map's marker images load with hashed static file names as in production,
the day summary's figures, the till's links, a friendly word when there is no camera, and
a cashier who sees no refund form."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools
from marktplatz.loyalty import services as loyalty
from marktplatz.purses import services as purses
from marktplatz.testing import factories
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct

pytestmark = [pytest.mark.browser, needs_browser_tools]

PHONE = {"width": 375, "height": 812}


def german(message: str) -> str:
    with translation.override("de"):
        return translation.gettext(message)


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.fixture
def card(town_a):
    holder = factories.person("kim@example.org", town_a, "citizen")
    return loyalty.member_for_user(city=town_a, user=holder).cards.get()


def test_table_pages_do_not_scroll_sideways_on_a_phone(
    phone, town_a, shop_a, persona, log_in, visit, town_url, card
):
    operator = persona("operator_admin")
    # Long e-mail addresses and names are what push tables and figures off the screen.
    for n in range(3):
        factories.person(f"very.long.name.of.employee{n}@stadtverwaltung-altdorf.example", town_a,
                         "operator_staff")  # fmt: skip
    loyalty.earn(city=town_a, merchant=shop_a, card=card, purchase_minor=4321, currency="EUR",
                 idempotency_key="t1")  # fmt: skip
    log_in(town_a, operator)
    pages = [
        "",
        "me/",
        "operator/staff/",
        "operator/card/",
        "operator/card/holders/",
        "operator/vouchers/",
        "operator/merchants/",
        "operator/settlement/",
        "operator/audit/",
        f"merchant/{shop_a.code}/",
        f"merchant/{shop_a.code}/staff/",
        f"merchant/{shop_a.code}/pos/today/",
        f"merchants/{shop_a.code}/",
    ]
    wide = []
    for path in pages:
        visit(town_url(town_a, path))
        if scrolls_sideways(phone):
            wide.append(path)
    assert wide == []
    # A wide table scrolls inside its own box instead.
    visit(town_url(town_a, "operator/staff/"))
    box = phone.locator(".table-wrap").first
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"


@pytest.fixture
def hashed_static_files(settings, tmp_path_factory):
    """Static files as production serves them: collected with hashed names (manifest)."""
    root = tmp_path_factory.mktemp("static")
    settings.STATIC_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--no-input", "-v", "0")
    # The live server finds static files through the finders: let them find the
    # collected, hashed copies.
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(root)]
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_maps_marker_images_load_with_hashed_static_files(
    phone, town_a, shop_a, visit, town_url, hashed_static_files
):
    shop_a.latitude, shop_a.longitude = Decimal("47.56"), Decimal("7.79")
    shop_a.save()
    failed = []
    phone.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    # No map tiles from the internet in a test: answer them with nothing.
    phone.route("https://tile.openstreetmap.org/**", lambda route: route.fulfill(status=204))
    visit(town_url(town_a, "merchants/"))
    marker = phone.locator("img.leaflet-marker-icon")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("alt", shop_a.name)
    shadow = phone.locator("img.leaflet-marker-shadow")
    expect(shadow).to_have_count(1)
    for image in (marker, shadow):
        src = image.get_attribute("src")
        assert "/static/leaflet/images/marker-" in src, src
        phone.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    assert failed == []
    assert not scrolls_sideways(phone)


def test_the_day_summary_and_the_tills_links_on_a_phone(
    phone, town_a, shop_a, persona, log_in, visit, town_url, card
):
    cashier = persona("merchant_cashier")
    first, _ = loyalty.earn(city=town_a, merchant=shop_a, card=card, purchase_minor=5000,
                            currency="EUR", idempotency_key="p1")  # fmt: skip
    loyalty.earn(city=town_a, merchant=shop_a, card=card, purchase_minor=1234, currency="EUR",
                 idempotency_key="p2")  # fmt: skip
    loyalty.refund(booking=first, purchase_minor=1000, idempotency_key="r1")
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2000)
    shown = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(city=town_a, merchant=shop_a, code=shown.secret, amount_minor=750,
                            idempotency_key="v1")  # fmt: skip
    gift = vouchers.voucher_sell(product=product)
    purses.voucher_load_onto_card(city=town_a, card=card, code=gift.secret, actor=None)
    purses.purse_pay(city=town_a, merchant=shop_a, card=card, amount_minor=1500,
                     idempotency_key="k1")  # fmt: skip

    log_in(town_a, cashier, second_factor=False)
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    links = phone.locator(".till-links a")
    expect(links.filter(has_text=german("Payment from the card's purse"))).to_have_attribute(
        "href", f"/altdorf/merchant/{shop_a.code}/card-payment/"
    )
    with phone.expect_navigation():
        links.filter(has_text=german("Today's bookings")).click()
    assert not scrolls_sideways(phone)

    def total(name: str) -> str:
        return phone.locator(f"dd[data-total='{name}']").inner_text().replace("\xa0", " ")

    assert total("purchases") == "2"
    assert total("gross") == "62,34 €"
    assert total("refunded").startswith("−10,00 €")
    assert total("net") == "52,34 €"
    assert total("issued") == "62"
    assert total("taken_back") == "10"
    assert total("vouchers") == "7,50 € (1)"
    assert total("purse") == "15,00 € (1)"
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    with phone.expect_navigation():
        links.filter(has_text=german("Payment from the card's purse")).click()
    assert phone.url.endswith(f"/merchant/{shop_a.code}/card-payment/")


def test_a_cashier_sees_no_refund_form_and_a_word_instead_of_a_camera_error(
    phone, town_a, shop_a, persona, log_in, visit, town_url, card, settings
):
    settings.SCANNER_AVAILABLE = True
    cashier = persona("merchant_cashier")
    log_in(town_a, cashier, second_factor=False)
    visit(town_url(town_a, f"merchant/{shop_a.code}/pos/"))
    expect(phone.locator("form[action$='/pos/refund/']")).to_have_count(0)
    expect(phone.get_by_text(german("Refund a purchase"), exact=True)).to_have_count(0)
    # This Chromium has no camera: the cashier reads why, in German, and types the number.
    scan = phone.locator("#pos-scan")
    expect(scan).to_be_visible()
    scan.click()
    friendly = {
        german("No camera found on this device. Type the card number above instead."),
        german(
            "The camera may not be used (the browser refused it). Type the card number "
            "above instead."
        ),
        german("The camera could not be started. Type the card number above instead."),
    }
    status = phone.locator("#pos-scan-status")
    expect(status).not_to_be_empty()
    assert status.inner_text() in friendly
    expect(phone.locator("#pos-card-form [name='card']")).to_be_focused()
    # Typing the number works; the receipt offers the cashier's quick cancellation.
    phone.fill("#pos-card-form [name='card']", card.number)
    phone.locator("#pos-card-form button[type=submit]").click()
    amount = phone.locator("form[hx-post$='/pos/earn/'] [name='amount']")
    amount.fill("12,00")
    phone.locator("form[hx-post$='/pos/earn/'] button[type=submit]").click()
    expect(phone.locator(".receipt")).to_be_visible()
    expect(phone.locator(".receipt form[action*='/pos/cancel/']")).to_have_count(1)
    assert not scrolls_sideways(phone)


def test_the_back_office_has_its_own_navigation_and_the_towns_figures(
    phone, page, town_a, shop_a, persona, log_in, visit, town_url, card
):
    operator = persona("operator_admin")
    loyalty.earn(city=town_a, merchant=shop_a, card=card, purchase_minor=2500, currency="EUR",
                 idempotency_key="e1")  # fmt: skip
    log_in(town_a, operator)
    visit(town_url(town_a))
    nav = phone.locator("header nav.back-office")
    expect(nav.get_by_role("link", name=german("Settlement"))).to_have_attribute(
        "href", "/altdorf/operator/settlement/"
    )
    expect(nav.get_by_role("link", name=german("Shops"), exact=True)).to_have_count(0)
    # Members: the card holder; points: 100 welcome bonus + 25 for the purchase.
    expect(phone.locator("dd[data-figure='members']")).to_have_text("1")
    expect(phone.locator("dd[data-figure='points_issued']")).to_have_text("125")
    expect(phone.locator("dd[data-figure='merchants_active']")).to_have_text("1")
    assert not scrolls_sideways(phone)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert phone.locator("dl.figures > div").first.bounding_box()["width"] < 400


def test_a_cashiers_navigation_is_the_till(phone, town_a, shop_a, persona, log_in, visit, town_url):
    cashier = persona("merchant_cashier")
    log_in(town_a, cashier, second_factor=False)
    visit(town_url(town_a))
    nav = phone.locator("header nav.back-office")
    links = nav.locator("a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    base = f"/altdorf/merchant/{shop_a.code}/"
    assert base + "pos/" in hrefs and base + "card-payment/" in hrefs
    assert base + "statements/" not in hrefs
    for href in hrefs:
        visit(href)  # each one opens for a cashier, with no serious accessibility fault
        assert not scrolls_sideways(phone), href
