"""Offer figures: impressions, opens, saves and shares, counted once per person and day,
shown to the business beside its other offers and the town's average."""

import json
import re

from django.utils import timezone

from marktplatz.messenger import services
from marktplatz.messenger.models import OfferDay, SavedOffer
from marktplatz.testing import factories


def _day(offer):
    return OfferDay.objects.get(offer=offer, day=timezone.localdate())


def _events(client, town, url, **body):
    return client.post(url(town, "offer_events"), json.dumps(body), content_type="application/json")


def test_an_impression_counts_once_per_person_and_day(client, dave, town_a, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a)
    client.force_login(dave)
    for _batch in range(3):
        assert _events(client, town_a, url, seen=[offer.code]).status_code == 204
    assert _day(offer).impressions == 1
    other = factories.LoginClient()
    other.force_login(factories.person("eve@example.org", town_a, "citizen"))
    _events(other, town_a, url, seen=[offer.code], shared=[offer.code])
    assert (_day(offer).impressions, _day(offer).shares) == (2, 1)


def test_a_visitor_counts_by_browser_and_not_without_one(client, town_a, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a)
    client.get(url(town_a, "offers"))  # the page sets the CSRF cookie
    _events(client, town_a, url, seen=[offer.code])
    _events(client, town_a, url, seen=[offer.code])
    assert _day(offer).impressions == 1
    assert not services.offer_seen(
        offer=offer, kind="impressions", viewer="", day=timezone.localdate()
    )


def test_it_counts_only_offers_the_person_may_see(
    client, dave, town_a, town_b, shop_a, shop_b, url
):
    hidden = factories.offer(city=town_a, merchant=shop_a, audience="followers")
    draft = factories.offer(city=town_a, merchant=shop_a, published_at=None)
    foreign = factories.offer(city=town_b, merchant=shop_b)
    client.force_login(dave)
    _events(client, town_a, url, seen=[hidden.code, draft.code, foreign.code, "nope"])
    assert not OfferDay.objects.exists()


def test_it_refuses_a_body_that_is_not_the_expected_json(client, dave, town_a, url):
    client.force_login(dave)
    for body in ("[", '{"seen": "abc"}', '{"seen": [1, 2]}', "[1]"):
        response = client.post(url(town_a, "offer_events"), body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["error"] == "bad_request"
    assert client.get(url(town_a, "offer_events")).status_code == 405


def test_opening_an_offer_counts_once_a_day_and_not_for_its_shop_before_it_runs(
    client, dave, bob, town_a, shop_a, url
):
    offer = factories.offer(city=town_a, merchant=shop_a)
    client.force_login(dave)
    client.get(url(town_a, "offer_detail", offer.code))
    client.get(url(town_a, "offer_detail", offer.code))
    assert _day(offer).opens == 1
    draft = factories.offer(city=town_a, merchant=shop_a, published_at=None)
    client.force_login(bob)
    assert client.get(url(town_a, "offer_detail", draft.code)).status_code == 200
    assert not OfferDay.objects.filter(offer=draft).exists()
    client.get(url(town_a, "offer_detail", offer.code))  # the shop reading its own offer
    assert _day(offer).opens == 1


def test_saving_twice_saves_once_and_counts_once(client, dave, town_a, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a)
    client.force_login(dave)
    for _press in range(2):
        response = client.post(url(town_a, "offer_save", offer.code), {"action": "save"})
        assert response.status_code == 302
    assert SavedOffer.objects.filter(user=dave, offer=offer).count() == 1
    assert _day(offer).saves == 1
    saved = client.get(url(town_a, "offers") + "?saved=1")
    assert [o.title for o in saved.context["page"].object_list] == [offer.title]
    client.post(url(town_a, "offer_save", offer.code), {"action": "unsave"}, HTTP_HX_REQUEST="true")
    assert not SavedOffer.objects.exists()
    assert _day(offer).saves == 1  # a figure of the day, not of today's savers
    assert (
        "There are no offers" not in client.get(url(town_a, "offers") + "?saved=1").content.decode()
    )


def test_a_visitor_cannot_save_and_nobody_saves_an_offer_they_cannot_see(
    client, dave, town_a, shop_a, url
):
    hidden = factories.offer(city=town_a, merchant=shop_a, audience="followers")
    response = client.post(url(town_a, "offer_save", hidden.code), {"action": "save"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(dave)
    assert (
        client.post(url(town_a, "offer_save", hidden.code), {"action": "save"}).status_code == 404
    )
    assert not SavedOffer.objects.exists()


def test_the_business_sees_each_offer_beside_the_towns_average(client, bob, town_a, shop_a, url):
    good = factories.offer(city=town_a, merchant=shop_a, title="Gut")
    weak = factories.offer(city=town_a, merchant=shop_a, title="Schwach")
    other = factories.offer(city=town_a, merchant=factories.merchant(city=town_a, name="Buch"))
    today = timezone.localdate()
    OfferDay.objects.create(
        city=town_a, offer=good, day=today, impressions=10, opens=5, saves=2, shares=1
    )
    OfferDay.objects.create(city=town_a, offer=weak, day=today, impressions=30, opens=4)
    OfferDay.objects.create(city=town_a, offer=other, day=today, impressions=10, opens=1)
    client.force_login(bob)
    response = client.get(url(town_a, "merchant_offers", shop_a.code))
    figures = {offer.title: f for offer, _state, _label, f in response.context["rows"]}
    assert figures["Gut"]["rates"]["opens"] == 0.5
    assert figures["Schwach"]["rates"]["opens"] == 4 / 30
    average = response.context["average"]
    assert (average["impressions"], average["opens"]) == (50, 10)
    assert average["rates"]["opens"] == 0.2
    opened, *others = response.context["charts"]
    assert others == []  # nothing was redeemed: no chart of redemptions
    bars = {bar["label"]: bar for bar in opened["bars"]}
    assert bars["Gut"]["width"] == 340 and bars["Schwach"]["width"] == 90.7
    assert bars["Town average"]["town"]
    body = response.content.decode()
    assert "<svg" in body
    assert re.search(r"50\s?%", body)
    assert ">Buch<" not in body
    # German writes the percentage its way.
    client.cookies["mp_language"] = "de"
    assert "13,3\xa0%" in client.get(url(town_a, "merchant_offers", shop_a.code)).content.decode()


def test_the_list_says_so_when_no_offer_was_seen_yet(client, bob, town_a, shop_a, url):
    factories.offer(city=town_a, merchant=shop_a)
    client.force_login(bob)
    response = client.get(url(town_a, "merchant_offers", shop_a.code))
    assert response.context["charts"] == []
    assert "<svg" not in response.content.decode()
