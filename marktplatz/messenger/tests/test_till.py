"""Offers at the till: the cashier picks the offer a purchase used, its bonus points go
onto the same earn booking, and the purchase counts as a redemption in the figures."""

import json
import re

from django.utils import timezone

from marktplatz.api.services import terminal_key_create
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Booking
from marktplatz.messenger import selectors, services
from marktplatz.messenger.models import OfferDay
from marktplatz.testing import factories


def _redemptions(offer) -> int:
    day = OfferDay.objects.filter(offer=offer, day=timezone.localdate()).first()
    return day.redemptions if day else 0


def _till_panel(client, shop, card):
    panel = client.post(
        f"/altdorf/merchant/{shop.code}/pos/card/", {"card": card.number}, HTTP_HX_REQUEST="true"
    )
    assert panel.status_code == 200
    return panel.content.decode()


def _earn(client, shop, form):
    return client.post(f"/altdorf/merchant/{shop.code}/pos/earn/", form, HTTP_HX_REQUEST="true")


def test_the_till_books_a_purchase_with_an_offer_once(
    client, carol, dave, town_a, shop_a, django_capture_on_commit_callbacks
):
    offer = factories.offer(city=town_a, merchant=shop_a, title="Brezel-Tag", bonus_points=40)
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()
    client.force_login(carol)
    panel = _till_panel(client, shop_a, card)
    assert "Offer used" in panel
    assert f'value="{offer.code}"' in panel and "Brezel-Tag (+40 bonus points)" in panel
    key = re.search(r'name="key" value="([0-9a-f]+)"', panel).group(1)
    form = {"card": card.qr_token, "key": key, "amount": "12,50", "offer": offer.code}
    with django_capture_on_commit_callbacks(execute=True):
        first = _earn(client, shop_a, form)
        again = _earn(client, shop_a, form)
    assert first.status_code == again.status_code == 200
    booking = Booking.objects.get(kind="earn")
    assert (booking.points, booking.offer_code) == (12 + 40, offer.code)
    receipt = first.content.decode()
    assert "+52" in receipt and "Brezel-Tag" in receipt and "40 bonus points included" in receipt
    assert _redemptions(offer) == 1
    assert ledger_verify() == []


def test_the_till_offers_only_the_business_own_live_offers(client, carol, dave, town_a, shop_a):
    other_shop = factories.merchant(city=town_a, name="Buchladen")
    theirs = factories.offer(city=town_a, merchant=other_shop, title="Fremdes Angebot")
    town = factories.offer(city=town_a, title="Stadtfest")
    withdrawn = factories.offer(
        city=town_a, merchant=shop_a, title="Zurückgezogen", withdrawn_at=timezone.now()
    )
    draft = factories.offer(city=town_a, merchant=shop_a, title="Entwurf", published_at=None)
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()
    client.force_login(carol)
    panel = _till_panel(client, shop_a, card)
    # No live offer of its own: the till shows no offer choice at all.
    assert "Offer used" not in panel
    for offer in (theirs, town, withdrawn, draft):
        response = _earn(
            client,
            shop_a,
            {"card": card.qr_token, "key": f"k-{offer.code}", "amount": "5", "offer": offer.code},
        )
        assert "This offer is not live any more" in response.content.decode()
    assert not Booking.objects.filter(kind="earn").exists()


def test_the_pos_api_lists_live_offers_and_books_with_one(
    client, bob, dave, town_a, shop_a, django_capture_on_commit_callbacks
):
    offer = factories.offer(city=town_a, merchant=shop_a, title="Happy Hour", bonus_points=25)
    factories.offer(city=town_a, title="Stadtfest")  # the town's: not at the till
    _key, token = terminal_key_create(merchant=shop_a, name="Kasse 1", actor=bob)
    card = loyalty.member_for_user(city=town_a, user=dave).cards.get()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    listed = client.get("/altdorf/api/pos/v1/offers", **auth)
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "code": offer.code,
            "title": "Happy Hour",
            "bonus_points": 25,
            "ends_on": offer.ends_on.isoformat(),
        }
    ]

    def earn(body, key):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/altdorf/api/pos/v1/earn",
                json.dumps(body),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=key,
                **auth,
            )

    body = {"card": card.number, "amount": 1000, "currency": "EUR", "offer": offer.code}
    first = earn(body, "key-offer-1")
    assert first.status_code == 201, first.content
    assert (first.json()["points"], first.json()["offer"]) == (10 + 25, offer.code)
    assert _redemptions(offer) == 1

    # Withdrawn now: a retry of the same booking replays it, a new one is refused.
    services.offer_withdraw(offer=offer, actor=bob)
    replay = earn(body, "key-offer-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    refused = earn(body, "key-offer-2")
    assert refused.status_code == 409
    assert refused.json()["error"] == "offer_unavailable"
    assert earn({**body, "offer": "x" * 17}, "key-offer-3").status_code == 422
    assert Booking.objects.filter(kind="earn").count() == 1
    assert _redemptions(offer) == 1
    without = earn({"card": card.number, "amount": 1000, "currency": "EUR"}, "key-plain")
    assert without.status_code == 201 and without.json()["offer"] is None


def test_redemptions_are_figures_with_a_rate(town_a, shop_a):
    offer = factories.offer(city=town_a, merchant=shop_a)
    OfferDay.objects.create(
        city=town_a, offer=offer, day=timezone.localdate(), impressions=50, redemptions=5
    )
    figures = selectors.offer_figures(offers=[offer])[offer.pk]
    assert figures["redemptions"] == 5
    assert figures["rates"]["redemptions"] == 0.1
    assert selectors.town_average()["redemptions"] == 5


def test_the_business_sees_redemptions_on_its_offer_list(client, bob, town_a, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a, title="Brezel-Tag")
    OfferDay.objects.create(
        city=town_a, offer=offer, day=timezone.localdate(), impressions=80, redemptions=8
    )
    client.force_login(bob)
    page = client.get(url(town_a, "merchant_offers", shop_a.code)).content.decode()
    assert "Redeemed" in page and re.search(r"10\s?%", page)
    assert "Redeemed at the till, as a share of those who saw the offer" in page
