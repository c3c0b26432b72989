"""Logging in through the real forms in Chromium: every role, by e-mailed code, and the
second factor that some roles must set up first."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from marktplatz.accounts.models import TWO_FACTOR_KINDS, Role, RoleKind
from marktplatz.browser_tests.tools import fresh_totp_code, needs_browser_tools
from marktplatz.testing import factories

pytestmark = [pytest.mark.browser, needs_browser_tools]

# The panel headings of the start page (dashboard/start.html) each role must see.
START_PANELS = {
    RoleKind.OPERATOR_ADMIN: ["h-operator"],
    RoleKind.OPERATOR_STAFF: ["h-operator"],
    RoleKind.MERCHANT_OWNER: ["h-merchant-1"],
    RoleKind.MERCHANT_MANAGER: ["h-merchant-1"],
    RoleKind.MERCHANT_CASHIER: ["h-merchant-1"],
    RoleKind.CITY_STAFF: ["h-dept-1"],
    RoleKind.EMPLOYER_ADMIN: ["h-emp-1"],
    RoleKind.CITIZEN: ["h-citizen"],
}


def german(message) -> str:
    """``message`` (a msgid or a lazy translation) as the server renders it for a visitor
    who kept the default language; whatever the state of the German catalogue."""
    with translation.override("de"):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def panel_ids(page) -> list[str]:
    return page.locator("main section.panel > h2[id]").evaluate_all(
        "(headings) => headings.map((h) => h.id)"
    )


@pytest.mark.parametrize("kind", list(START_PANELS), ids=str)
def test_each_role_logs_in_and_sees_its_own_start_page(
    kind, persona, town_a, town_b, shop_a, page, log_in, visit, town_url
):
    user = persona(kind)
    role = Role.objects.get(user=user)

    log_in(town_a, user, second_factor=kind in TWO_FACTOR_KINDS)

    assert urlsplit(page.url).path == "/altdorf/"
    expect(page.locator("main h1")).to_contain_text(user.email)
    assert panel_ids(page) == START_PANELS[kind]
    badge = german(RoleKind(kind).label)
    settings_link = page.locator("main a[href='/altdorf/operator/settings/']")
    if kind == RoleKind.OPERATOR_ADMIN:
        expect(settings_link).to_have_count(1)
        expect(page.locator("main a[href='/altdorf/operator/audit/']")).to_have_count(1)
    elif kind == RoleKind.OPERATOR_STAFF:
        expect(page.locator("#h-operator")).to_be_visible()
        expect(settings_link).to_have_count(0)
    elif kind in {RoleKind.MERCHANT_OWNER, RoleKind.MERCHANT_MANAGER, RoleKind.MERCHANT_CASHIER}:
        expect(page.locator("#h-merchant-1")).to_contain_text(shop_a.name)
        expect(page.locator("#h-merchant-1 .badge")).to_have_text(badge)
        link = page.locator(f"main a[href='/altdorf/merchant/{shop_a.code}/']")
        expect(link).to_have_count(1)
    elif kind == RoleKind.CITY_STAFF:
        expect(page.locator("#h-dept-1")).to_contain_text(role.department.name)
        expect(page.locator("#h-dept-1 .badge")).to_have_text(badge)
    elif kind == RoleKind.EMPLOYER_ADMIN:
        expect(page.locator("#h-emp-1")).to_contain_text(role.employer.name)
        expect(page.locator("#h-emp-1 .badge")).to_have_text(badge)
    else:
        expect(page.locator("#h-citizen")).to_be_visible()
        expect(page.locator("main .empty strong")).to_have_text(
            german("Start by discovering the shops in town.")
        )

    # The same account in the other town: no role there, nothing of Altdorf is shown.
    visit(town_url(town_b))
    assert panel_ids(page) == ["h-citizen"]
    not_a_member = german("You are not yet a member of %(town)s.") % {"town": town_b.name}
    expect(page.locator("main .empty strong")).to_have_text(not_a_member)
    expect(page.locator("main")).not_to_contain_text(shop_a.name)


def test_a_citizen_logs_in_with_a_code_sent_by_email(
    persona, town_a, page, visit, submit, town_url
):
    citizen = persona(RoleKind.CITIZEN, email="dora@example.org")

    visit(town_url(town_a, "accounts/login/code/"))
    page.fill("[name='email']", citizen.email)
    submit("email")

    assert urlsplit(page.url).path == "/altdorf/accounts/login/code/confirm/"
    assert [message.to for message in mail.outbox] == [[citizen.email]]
    # The code stands on a line of its own (e.g. "NBXF-TTKC").
    found = re.search(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})*)\s*$", mail.outbox[0].body, re.M)
    assert found, mail.outbox[0].body
    page.fill("[name='code']", found.group(1))
    submit("code")

    assert urlsplit(page.url).path == "/altdorf/"
    expect(page.locator("main h1")).to_contain_text(citizen.email)
    assert panel_ids(page) == ["h-citizen"]


def test_a_merchant_owner_without_totp_must_set_it_up_first(
    town_a, shop_a, page, log_in, visit, submit, town_url
):
    owner = factories.user("olga@example.org", totp=False)
    Role.objects.create(city=town_a, user=owner, kind=RoleKind.MERCHANT_OWNER, merchant=shop_a)

    log_in(town_a, owner, second_factor=False)

    # The start page sends the owner to set up TOTP; allauth first asks for the password
    # again (MFA changes need a recent reauthentication), then shows the setup.
    setup_path = "/altdorf/accounts/2fa/totp/activate/"
    url = urlsplit(page.url)
    assert url.path == "/altdorf/accounts/reauthenticate/"
    assert urlsplit(parse_qs(url.query)["next"][0]).path == setup_path
    page.fill("[name='password']", factories.TEST_PASSWORD)
    submit("password")
    url = urlsplit(page.url)
    assert url.path == setup_path
    assert parse_qs(url.query)["next"] == ["/altdorf/"]
    expect(page.locator("[name='code']")).to_be_visible()
    # No page of the town is reachable before the second factor is set up.
    for path in ("", "me/", f"merchant/{shop_a.code}/"):
        visit(town_url(town_a, path))
        assert urlsplit(page.url).path == setup_path, path

    secret = page.input_value("#authenticator_secret")
    page.fill("[name='code']", fresh_totp_code(secret))
    submit("code")
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).exists()

    visit(town_url(town_a))
    assert urlsplit(page.url).path == "/altdorf/"
    assert panel_ids(page) == ["h-merchant-1"]
    expect(page.locator("#h-merchant-1")).to_contain_text(shop_a.name)
