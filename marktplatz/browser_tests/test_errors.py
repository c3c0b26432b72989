"""Error pages as a browser gets them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools

pytestmark = [pytest.mark.browser, needs_browser_tools]


def german(message: str) -> str:
    with translation.override("de"):
        return translation.gettext(message)


def test_an_unknown_town_prefix_gets_a_town_less_404(town_a, page, visit, live_server):
    visit(f"{live_server.url}/nowhere/", status=404)

    expect(page.locator(".brand")).to_have_text(settings.SITE_NAME)
    expect(page).to_have_title(f"{german('Not found')} · {settings.SITE_NAME}")
    # Either 404 heading will do: the prefix may name a missing town or a missing page.
    heading = page.locator("main h1").inner_text().strip()
    assert heading in {german("Page not found"), german("This town is not on Marktplatz")}
    expect(page.locator("main a[href='/']")).to_have_count(1)
    # No town: no town links in the navigation and no trace of the existing town.
    expect(page.locator("nav a[href$='/merchants/']")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(town_a.name)


def test_an_unknown_town_subdomain_says_the_town_is_missing(town_a, page, visit, live_server):
    port = live_server.url.rsplit(":", 1)[1]
    visit(f"http://nowhere.localhost:{port}/", status=404)

    expect(page.locator(".brand")).to_have_text(settings.SITE_NAME)
    expect(page.locator("main h1")).to_have_text(german("This town is not on Marktplatz"))
    expect(page.locator("body")).not_to_contain_text(town_a.name)


def test_an_unknown_page_of_a_town_keeps_the_town_layout(town_a, page, visit, town_url):
    visit(town_url(town_a, "nothing-here/"), status=404)

    expect(page.locator(".brand")).to_have_text(town_a.name)
    expect(page.locator("main h1")).to_have_text(german("Page not found"))
    expect(page.locator("nav a[href='/altdorf/merchants/']")).to_have_count(1)
