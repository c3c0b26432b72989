"""The till shows each role only what it may do (the cashier no refund form, no rate)."""

from __future__ import annotations

from marktplatz.loyalty import services
from marktplatz.loyalty.models import Booking


def _purchase(town_a, shop_a, dave, key="p1"):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    booking, _ = services.earn(
        city=town_a,
        merchant=shop_a,
        card=card,
        purchase_minor=3000,
        currency="EUR",
        idempotency_key=key,
    )
    return booking


def test_a_cashier_sees_no_refund_form_the_owner_does(client, carol, bob, alice, shop_a):
    url = f"/altdorf/merchant/{shop_a.code}/pos/"
    client.force_login(carol)
    page = client.get(url).content.decode()
    assert "/pos/refund/" not in page
    assert 'name="refund-booking"' not in page
    for person in (bob, alice):
        client.force_login(person)
        page = client.get(url).content.decode()
        assert f'action="/altdorf/merchant/{shop_a.code}/pos/refund/"' in page


def _book_at_till(client, shop_a, dave, town_a, key):
    card = services.member_for_user(city=town_a, user=dave).cards.get()
    return client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/earn/",
        {"card": card.qr_token, "key": key, "amount": "12,00"},
        HTTP_HX_REQUEST="true",
    ).content.decode()


def _no_cancel_window(town_a):
    from marktplatz.core.memo import forget_all

    programme = services.programme_for(city=town_a)
    programme.cancel_window_minutes = 0
    programme.save()
    forget_all()


def test_the_receipts_cancel_button_follows_the_cashiers_window(
    client, carol, bob, shop_a, town_a, dave
):
    client.force_login(carol)
    receipt = _book_at_till(client, shop_a, dave, town_a, "k1")
    assert "/pos/cancel/" in receipt
    _no_cancel_window(town_a)
    receipt = _book_at_till(client, shop_a, dave, town_a, "k2")
    assert "+12" in receipt and "/pos/cancel/" not in receipt
    # The owner may still take it back (the refund window is 30 days).
    client.force_login(bob)
    assert "/pos/cancel/" in _book_at_till(client, shop_a, dave, town_a, "k3")


def test_a_cashier_cannot_cancel_after_the_window(client, carol, shop_a, town_a, dave):
    booking = _purchase(town_a, shop_a, dave)
    _no_cancel_window(town_a)
    client.force_login(carol)
    answer = client.post(
        f"/altdorf/merchant/{shop_a.code}/pos/cancel/{booking.code}/",
        {"key": "c1"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 403
    assert not Booking.objects.filter(original=booking).exists()


def test_a_cashiers_rewards_page_hands_out_only(client, carol, bob, shop_a):
    url = f"/altdorf/merchant/{shop_a.code}/rewards/"
    client.force_login(carol)
    page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="fulfil-token"' in content
    assert 'name="rate"' not in content
    assert 'name="reward-title"' not in content
    assert client.post(url, {"rate": "2"}).status_code == 403
    assert client.post(url, {"reward-title": "Kaffee", "reward-points": "50"}).status_code == 403
    client.force_login(bob)
    content = client.get(url).content.decode()
    assert 'name="rate"' in content and 'name="reward-title"' in content
