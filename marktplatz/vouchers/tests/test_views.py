"""The voucher pages: the operator offers and sells, prints A6/A4 and e-mails; a cashier
takes the voucher at the till; anybody checks a balance (throttled, saying nothing more)."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.testing import factories
from marktplatz.vouchers import services
from marktplatz.vouchers.models import Voucher, VoucherProduct, VoucherRedemption


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def product(town_a):
    return VoucherProduct.objects.create(city=town_a, name="Stadtgutschein", value_minor=5000)


def test_the_operator_offers_sells_and_mails_a_voucher(
    client, alice, town_a, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = "/altdorf/operator/vouchers/"
    empty = client.get(url)
    assert "Noch kein Gutschein im Angebot." in empty.content.decode()
    missing_value = client.post(url, {"product-name": "Zwanziger", "product-kind": "fixed"})
    assert missing_value.status_code == 200 and not VoucherProduct.objects.exists()
    offered = client.post(
        url,
        {"product-name": "Zwanziger", "product-kind": "fixed", "product-value": "20,00",
         "product-colour": "#1d4e89", "product-is_active": "on"},
    )  # fmt: skip
    assert offered.status_code == 302
    product = VoucherProduct.objects.get()
    assert product.value_minor == 2000
    with django_capture_on_commit_callbacks(execute=True):
        sold = client.post(url, {"sale-product": product.pk, "sale-buyer_email": "oma@example.org"})
    voucher = Voucher.objects.get()
    assert sold["Location"].endswith(f"/operator/vouchers/{voucher.code}/")
    page = client.get(sold["Location"]).content.decode()
    assert voucher.secret in page and "20,00" in page
    assert [m.to for m in mail.outbox] == [["oma@example.org"]]
    assert voucher.secret in mail.outbox[0].body
    assert "/altdorf/vouchers/balance/" in mail.outbox[0].body
    figures = client.get(url).context["figures"]
    assert (figures["taken_in"], figures["outstanding"]) == (2000, 2000)


@pytest.mark.parametrize(("size", "points"), [("a6", "419.53 297.64"), ("a4", "595.28 841.89")])
def test_it_prints_the_voucher_as_a6_card_and_on_a4(client, alice, product, size, points):
    voucher = services.voucher_sell(product=product)
    client.force_login(alice)
    response = client.get(f"/altdorf/operator/vouchers/{voucher.code}/{size}.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 " + points.encode(), response.content)


def test_a_cashier_takes_part_of_a_voucher_and_sees_the_rest(client, carol, shop_a, product):
    voucher = services.voucher_sell(product=product)
    client.force_login(carol)
    url = f"/altdorf/merchant/{shop_a.code}/vouchers/"
    key = client.get(url).context["form"].initial["key"]
    paid = client.post(url, {"key": key, "code": voucher.secret.lower(), "amount": "19,90"})
    assert "30,10" in paid.content.decode()
    # The same form sent again (a double tap) books nothing more.
    client.post(url, {"key": key, "code": voucher.secret, "amount": "19,90"})
    too_much = client.post(url, {"key": "k2", "code": voucher.secret, "amount": "40,00"})
    assert "nur noch 30,10" in too_much.content.decode()  # the refusal names what is left
    assert VoucherRedemption.objects.count() == 1
    assert services.balance_of(voucher) == 3010
    assert ledger_verify() == []


def test_the_balance_check_tells_nothing_about_unknown_or_used_up_codes(client, town_a, product):
    url = "/altdorf/vouchers/balance/"
    voucher = services.voucher_sell(product=product)
    found = client.post(url, {"code": voucher.secret})
    assert found.context["found"]["balance"] == 5000
    used = services.voucher_sell(product=product)
    services.voucher_redeem(
        city=town_a, merchant=factories.merchant(city=town_a, name="Kiosk"), code=used.secret,
        amount_minor=5000, idempotency_key="all",
    )  # fmt: skip
    answers = {
        client.post(url, {"code": code}).content.decode().count("Kein Gutschein mit Guthaben")
        for code in (used.secret, "MPV1-0000-0000-0000-0000-0000")
    }
    assert answers == {1}


def test_the_balance_check_is_throttled(client, town_a):
    url = "/altdorf/vouchers/balance/"
    for _attempt in range(10):
        assert client.post(url, {"code": "MPV1-0000-0000-0000-0000-0000"}).status_code == 200
    assert client.post(url, {"code": "MPV1-0000-0000-0000-0000-0000"}).status_code == 429


def test_only_the_operator_sells_and_only_the_business_takes(client, dave, carol, shop_b, product):
    client.force_login(dave)
    assert client.get("/altdorf/operator/vouchers/").status_code == 403
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_b.code}/vouchers/").status_code in (403, 404)
