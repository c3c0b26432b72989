"""The language switcher in the page header, with its small script."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import expect

from marktplatz.browser_tests.tools import needs_browser_tools

pytestmark = [pytest.mark.browser, needs_browser_tools]


def language_cookie(page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == settings.LANGUAGE_COOKIE_NAME:
            return cookie["value"]
    return None


def test_the_language_switch_submits_itself_and_sticks(
    town_a, shop_a, page, visit, check_a11y, town_url
):
    html = page.locator("html")
    visit(town_url(town_a))
    expect(html).to_have_attribute("lang", "de")

    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    check_a11y(page)
    expect(html).to_have_attribute("lang", "en")
    assert urlsplit(page.url).path == "/altdorf/"
    expect(page.locator("#lang-select")).to_have_value("en")
    assert language_cookie(page) == "en"

    # The choice holds on the next pages.
    response = visit(town_url(town_a, "merchants/"))
    expect(html).to_have_attribute("lang", "en")
    assert response.headers["content-language"] == "en"
    expect(page.locator("main")).to_contain_text(shop_a.name)

    with page.expect_navigation():
        page.select_option("#lang-select", "de")
    check_a11y(page)
    expect(html).to_have_attribute("lang", "de")
    assert urlsplit(page.url).path == "/altdorf/merchants/"
    assert language_cookie(page) == "de"

    visit(town_url(town_a))
    expect(html).to_have_attribute("lang", "de")
    expect(page.locator("#lang-select")).to_have_value("de")


def test_the_fallback_button_is_hidden_when_the_script_runs(town_a, page, visit, town_url):
    visit(town_url(town_a))
    # app.js marks the document and submits the switcher on change …
    expect(page.locator("html")).to_have_class("js")
    # … so the button for browsers without scripts must not show.
    expect(page.locator(".lang-switch button[type=submit]")).to_be_hidden()
