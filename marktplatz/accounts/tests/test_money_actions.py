"""Money actions need a second factor: alice (operator admin, TOTP, logged in with it) may,
sam (operator staff without TOTP) may not, and neither may a TOTP account whose session
did not pass the second factor. Pages show sam a hint instead of the forms."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator

from marktplatz.accounts.permissions import MONEY_ACTIONS, money_action_allowed
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Booking, Campaign, Card
from marktplatz.purses.models import EmployerInvoice
from marktplatz.settlement.models import Statement
from marktplatz.testing import factories
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct


@pytest.fixture
def sam(town_a):
    """Operator staff without a second factor."""
    return factories.person("sam@example.org", town_a, "operator_staff")


@pytest.fixture
def sam_totp(town_a):
    """Operator staff with TOTP (optional for staff), so sam may once the session passed it."""
    account = factories.person("sara@example.org", town_a, "operator_staff")
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(account, factories.TEST_TOTP_SECRET)
    return account


@pytest.fixture
def card(town_a, dave):
    return loyalty.member_for_user(city=town_a, user=dave).cards.get()


@pytest.fixture
def product(town_a):
    return VoucherProduct.objects.create(city=town_a, name="Stadtgutschein", value_minor=2500)


@pytest.fixture
def order(town_a, product):
    town_a.bank_account_holder, town_a.bank_iban = "Stadtmarketing", "DE89370400440532013000"
    town_a.save()
    return VoucherOrder.objects.create(
        city=town_a,
        product=product,
        value_minor=2500,
        quantity=1,
        total_minor=2500,
        provider="transfer",
        buyer_name="Erika Muster",
        buyer_email="erika@example.org",
        reference="RF18539007547034",
        number=1,
    )


def _refused(response) -> bool:
    return response.status_code == 403 and "accounts/two_factor_required.html" in [
        t.name for t in response.templates
    ]


# Each money action as a request: (action, method, path, data, effect).
def _adjust(card):
    return ("post", "/altdorf/operator/card/",
            {"adjust-card": card.number, "adjust-points": 50, "adjust-reason": "Kulanz"})  # fmt: skip


def _block(card):
    return ("post", "/altdorf/operator/card/",
            {"lost-card": card.number, "lost-action": "block", "lost-reason": "verloren"})  # fmt: skip


LAST_MONTH = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def test_operator_staff_without_a_second_factor_may_do_no_money_action(
    client, sam, card, product, order
):
    client.force_login(sam)
    requests = [
        _adjust(card),
        _block(card),
        ("post", "/altdorf/operator/settlement/", {"month": f"{LAST_MONTH:%Y-%m}"}),
        ("get", f"/altdorf/operator/settlement/{LAST_MONTH:%Y-%m}/payouts.xml", {}),
        ("post", "/altdorf/operator/bank/", {}),
        ("post", "/altdorf/operator/vouchers/", {"sale-product": product.pk}),
        ("post", f"/altdorf/operator/voucher-orders/{order.code}/", {"action": "cancel"}),
        ("post", "/altdorf/operator/voucher-orders/" + order.code + "/", {"amount": "25,00"}),
        ("post", "/altdorf/operator/employer-invoices/", {"action": "issue"}),
    ]
    for method, path, data in requests:
        response = getattr(client, method)(path, data)
        assert _refused(response), (path, data, response.status_code)
        assert (
            "two-factor" in response.content.decode().lower() or "2fa" in response.content.decode()
        )
    assert not Booking.objects.filter(kind__startswith="adjust").exists()
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    assert not Statement.objects.exists()
    assert not Voucher.objects.exists()
    order.refresh_from_db()
    assert order.status == VoucherOrder.Status.PENDING
    assert not EmployerInvoice.objects.exists()


def test_alice_with_her_second_factor_corrects_points_blocks_cards_and_sells(
    client, alice, card, product
):
    client.force_login(alice)
    _method, path, data = _adjust(card)
    assert client.post(path, data).status_code == 302
    assert Booking.objects.get(kind="adjust_plus").points == 50
    _method, path, data = _block(card)
    assert client.post(path, data).status_code == 302
    card.refresh_from_db()
    assert card.status == Card.Status.BLOCKED
    response = client.post("/altdorf/operator/vouchers/", {"sale-product": product.pk})
    assert response.status_code == 302
    assert Voucher.objects.count() == 1


def test_alice_runs_the_settlement_downloads_files_and_changes_rules(client, alice, order):
    client.force_login(alice)
    this_month = dt.date.today().replace(day=1)
    response = client.post("/altdorf/operator/settlement/", {"month": f"{this_month:%Y-%m}"})
    assert not _refused(response) and response.status_code < 500
    response = client.get(f"/altdorf/operator/settlement/{LAST_MONTH:%Y-%m}/payouts.xml")
    assert not _refused(response)
    assert not _refused(client.post("/altdorf/operator/bank/", {}))
    response = client.post(f"/altdorf/operator/voucher-orders/{order.code}/", {"action": "cancel"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == VoucherOrder.Status.CANCELLED
    response = client.post(
        "/altdorf/operator/card/rules/",
        {"campaign-name": "Doppelt", "campaign-multiplier_percent": 200,
         "campaign-starts_at": "2026-01-01T00:00", "campaign-ends_at": "2026-01-31T00:00"},
    )  # fmt: skip
    assert not _refused(response)


def test_a_session_that_did_not_pass_the_second_factor_may_not(client, alice, card):
    client.force_login(alice, second_factor=False)
    assert _refused(client.post(*_adjust(card)[1:]))
    assert _refused(client.post("/altdorf/operator/money-rules/", {}))
    assert _refused(client.post("/altdorf/operator/card/rules/", {"campaign-name": "x"}))
    assert not Booking.objects.filter(kind__startswith="adjust").exists()
    assert not Campaign.objects.exists()
    # The refusal offers to confirm the authenticator (alice has one), not to set one up.
    response = client.post(*_adjust(card)[1:])
    assert "/2fa/reauthenticate/" in response.content.decode()


def test_operator_staff_with_totp_may_once_the_session_passed_it(client, sam_totp, card):
    client.force_login(sam_totp)
    assert client.post(*_adjust(card)[1:]).status_code == 302
    assert Booking.objects.filter(kind="adjust_plus").count() == 1


def test_the_pages_show_staff_a_hint_instead_of_the_money_forms(client, sam, alice, card, product):
    client.force_login(sam)
    for path in ("/altdorf/operator/card/", "/altdorf/operator/vouchers/",
                 "/altdorf/operator/settlement/", "/altdorf/operator/bank/",
                 "/altdorf/operator/employer-invoices/"):  # fmt: skip
        content = client.get(path).content.decode()
        assert 'data-testid="two-factor-hint"' in content, path
        assert "/accounts/2fa/totp/activate/" in content, path
    content = client.get("/altdorf/operator/card/").content.decode()
    assert 'name="adjust-points"' not in content
    assert 'name="lost-action"' not in content
    assert 'name="batch-size"' in content  # issuing plastic cards moves no money
    client.force_login(alice)
    content = client.get("/altdorf/operator/card/").content.decode()
    assert 'name="adjust-points"' in content and 'data-testid="two-factor-hint"' not in content


def test_a_large_correction_is_booked_only_after_confirming_the_amount(
    client, alice, card, settings
):
    settings.POINTS_ADJUST_CONFIRM_ABOVE = 1000
    client.force_login(alice)
    data = {"adjust-card": card.number, "adjust-points": 5000, "adjust-reason": "Umzug"}
    response = client.post("/altdorf/operator/card/", data)
    assert response.status_code == 200
    assert response.context["adjust_confirm"]["points"] == 5000
    content = response.content.decode()
    assert 'data-testid="adjust-confirm"' in content and "5.000" in content
    assert not Booking.objects.filter(kind="adjust_plus").exists()
    response = client.post("/altdorf/operator/card/", {**data, "adjust-confirmed": "1"})
    assert response.status_code == 302
    assert Booking.objects.get(kind="adjust_plus").points == 5000
    # At or below the limit no confirmation is asked.
    small = {**data, "adjust-points": -1000}
    assert client.post("/altdorf/operator/card/", small).status_code == 302
    assert Booking.objects.filter(kind="adjust_minus").count() == 1


def test_the_rule_knows_only_listed_actions(rf, alice):
    request = rf.get("/")
    request.user = alice
    request.session = {}
    with pytest.raises(ValueError):
        money_action_allowed(request, "coffee.buy")
    assert "points.adjust" in MONEY_ACTIONS
    assert Authenticator.objects.filter(user=alice).exists()
    assert not money_action_allowed(request, "points.adjust")  # no session record


PROFILE = {
    "name": "Bäckerei Alt", "category": "bakery", "street": "Marktplatz 1", "postcode": "79600",
    "locality": "Altdorf", "accepting": "on", "account_holder": "Mallory",
    "iban": "DE02120300000000202051",
}  # fmt: skip


def test_bank_details_change_only_with_a_second_factor(client, sam, alice, shop_a):
    url = f"/altdorf/merchant/{shop_a.code}/edit/"
    client.force_login(sam)
    page = client.get(url)
    assert page.context["form"].fields["iban"].disabled
    response = client.post(url, {**PROFILE, "name": "Bäckerei Neu"})
    assert response.status_code == 302
    shop_a.refresh_from_db()
    # The rest of the profile is saved; the payout account is not.
    assert (shop_a.name, shop_a.iban, shop_a.account_holder) == ("Bäckerei Neu", "", "")
    client.force_login(alice)
    assert not client.get(url).context["form"].fields["iban"].disabled
    assert client.post(url, PROFILE).status_code == 302
    shop_a.refresh_from_db()
    assert (shop_a.iban, shop_a.account_holder) == ("DE02120300000000202051", "Mallory")


def test_the_towns_bank_account_changes_only_with_a_second_factor(client, alice, town_a):
    client.force_login(alice, second_factor=False)
    form = client.get("/altdorf/operator/settings/").context["form"]
    assert form.fields["bank_iban"].disabled and form.fields["sepa_creditor_id"].disabled
    client.force_login(alice)
    form = client.get("/altdorf/operator/settings/").context["form"]
    assert not form.fields["bank_iban"].disabled


def test_a_real_login_with_the_code_passes_and_one_with_the_password_only_does_not(town_a, card):
    """Through allauth's own forms, no session set up by the test: the session of a login
    with password and TOTP code may correct points; a staff login by password may not."""
    from django.test import Client

    alice = factories.person("alina@example.org", town_a, "operator_admin")
    browser = Client()
    response = browser.post(
        "/altdorf/accounts/login/", {"login": alice.email, "password": factories.TEST_PASSWORD}
    )
    assert "/accounts/2fa/authenticate/" in response["Location"]
    browser.post("/altdorf/accounts/2fa/authenticate/", {"code": factories.totp_code()})
    assert browser.post(*_adjust(card)[1:]).status_code == 302
    staff = factories.person("stan@example.org", town_a, "operator_staff")
    other = Client()
    other.post(
        "/altdorf/accounts/login/", {"login": staff.email, "password": factories.TEST_PASSWORD}
    )
    assert other.get("/altdorf/operator/card/").status_code == 200  # logged in
    assert _refused(other.post(*_adjust(card)[1:]))
    assert Booking.objects.filter(kind="adjust_plus").count() == 1
