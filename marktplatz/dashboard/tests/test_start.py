"""The back office: each role's own navigation, the operator's key figures of the town."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from marktplatz.core.tenancy import city_scope
from marktplatz.dashboard.selectors import month_start, town_key_figures
from marktplatz.loyalty import services as loyalty
from marktplatz.settlement.models import Statement
from marktplatz.testing import factories
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct


def nav_links(response) -> list[str]:
    """The links of the page's main navigation (hrefs)."""
    nav = re.search(r'<nav aria-label="[^"]*"[^>]*>(.*?)</nav>', response.content.decode(), re.S)
    return re.findall(r'href="([^"]+)"', nav.group(1))


def test_a_citizen_keeps_the_citizen_menu(client, dave):
    client.force_login(dave)
    links = nav_links(client.get("/altdorf/"))
    assert links == [
        "/altdorf/",
        "/altdorf/merchants/",
        "/altdorf/offers/",
        "/altdorf/vouchers/buy/",
        "/altdorf/card/",
        "/altdorf/rewards/",
        "/altdorf/follows/",
        "/altdorf/messages/",
        "/altdorf/notifications/",
        "/altdorf/orders/",
        "/altdorf/me/",
    ]


def test_the_operator_gets_the_town_management_menu(client, alice):
    client.force_login(alice)
    response = client.get("/altdorf/")
    links = nav_links(response)
    for url in ("operator/merchants/", "operator/card/", "operator/vouchers/",
                "operator/settlement/", "operator/employers/", "operator/staff/",
                "operator/audit/"):  # fmt: skip
        assert f"/altdorf/{url}" in links, url
    assert "/altdorf/merchants/" not in links  # the citizen's shop directory
    assert 'class="back-office"' in response.content.decode()


def test_operator_staff_see_no_audit_log_link(client, town_a):
    staff = factories.person("sam@example.org", town_a, "operator_staff")
    client.force_login(staff)
    links = nav_links(client.get("/altdorf/"))
    assert "/altdorf/operator/settlement/" in links
    assert "/altdorf/operator/audit/" not in links


def test_a_cashier_gets_the_till_not_the_business(client, carol, shop_a):
    client.force_login(carol)
    links = nav_links(client.get(f"/altdorf/merchant/{shop_a.code}/pos/"))
    base = f"/altdorf/merchant/{shop_a.code}/"
    for url in ("pos/", "pos/today/", "vouchers/", "card-payment/", "rewards/"):
        assert base + url in links, url
    assert base not in links  # the business's profile page
    assert base + "statements/" not in links
    for url in links:  # every link the cashier sees opens for the cashier
        assert client.get(url).status_code == 200, url


def test_the_owner_also_gets_the_business_and_its_statements(client, bob, shop_a):
    client.force_login(bob)
    links = nav_links(client.get("/altdorf/"))
    base = f"/altdorf/merchant/{shop_a.code}/"
    assert base in links and base + "statements/" in links and base + "pos/" in links


def test_an_employer_admin_gets_the_employers_pages(client, town_a):
    firm = factories.employer(city=town_a)
    admin = factories.person("erin@example.org", town_a, "employer_admin", employer=firm)
    client.force_login(admin)
    links = nav_links(client.get("/altdorf/"))
    assert links[:2] == ["/altdorf/", f"/altdorf/employer/{firm.code}/"]
    assert "/altdorf/merchants/" not in links


@pytest.fixture
def busy_town(town_a, shop_a, dave, alice):
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()  # +100 welcome bonus
    loyalty.earn(city=town_a, merchant=shop_a, card=card, purchase_minor=5000, currency="EUR",
                 idempotency_key="e1")  # fmt: skip
    loyalty.redeem(city=town_a, merchant=shop_a, card=card, points=120, idempotency_key="r1")
    factories.merchant(city=town_a, name="Neu", status="pending", is_active=False)
    product = VoucherProduct.objects.create(city=town_a, name="Gutschein", value_minor=2500)
    gift = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(city=town_a, merchant=shop_a, code=gift.secret, amount_minor=1000,
                            idempotency_key="v1")  # fmt: skip
    return town_a


def test_the_key_figures_of_the_town(busy_town, town_b, charlie):
    # Another town's members are not counted.
    loyalty.member_for_user(city=town_b, user=charlie)
    with city_scope(busy_town):
        figures = town_key_figures(city=busy_town)
    assert figures["members"] == figures["cards_active"] == 1
    assert (figures["points_issued"], figures["points_redeemed"]) == (150, 120)
    assert figures["vouchers_outstanding"] == 1500
    assert (figures["merchants_active"], figures["merchants_pending"]) == (1, 1)
    # The town started this month: nothing is over, nothing to settle yet.
    assert figures["last_settled"] is None and figures["months_to_settle"] == 0
    assert (figures["invoices_open"], figures["invoices_open_amount"]) == (0, 0)


def test_next_month_counts_its_own_points_and_this_month_is_to_settle(busy_town):
    with city_scope(busy_town):
        this_month = month_start(now=timezone.now())
        next_month = this_month + dt.timedelta(days=40)
        figures = town_key_figures(city=busy_town, now=next_month)
    assert (figures["points_issued"], figures["points_redeemed"]) == (0, 0)
    assert figures["months_to_settle"] == 1
    assert figures["oldest_to_settle"] == this_month.date()


def test_the_operators_start_page_shows_the_figures(client, alice, busy_town):
    client.force_login(alice)
    page = client.get("/altdorf/")
    assert page.context["figures"]["points_issued"] == 150
    text = page.content.decode()
    assert 'data-figure="vouchers_outstanding">15,00\xa0€' in text
    assert "Noch nichts abzurechnen" in text
    assert Statement.objects.count() == 0


def test_the_citizens_start_page_has_no_figures(client, dave, busy_town):
    client.force_login(dave)
    page = client.get("/altdorf/")
    assert "figures" not in page.context
