"""Offers: the feed, who sees which offer, and writing offers as a business or the town."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from marktplatz.audit.models import AuditEvent
from marktplatz.messenger import services
from marktplatz.messenger.models import Follow, Offer
from marktplatz.testing import factories

TODAY = timezone.localdate


def _titles(response):
    return [offer.title for offer in response.context["page"].object_list]


def test_the_feed_puts_followed_shops_first_and_hides_followers_only_offers(
    client, dave, town_a, shop_a, url
):
    books = factories.merchant(city=town_a, name="Buchladen", category="books")
    florist = factories.merchant(city=town_a, name="Blumen", category="florist")
    factories.offer(city=town_a, merchant=books, title="Lesenacht", audience="followers")
    factories.offer(city=town_a, merchant=florist, title="Tulpen", audience="followers")
    factories.offer(city=town_a, merchant=shop_a, title="Brezeln", starts_on=TODAY())
    factories.offer(city=town_a, title="Stadtfest")
    Follow.objects.create(city=town_a, user=dave, category="books")
    Follow.objects.create(city=town_a, user=dave, merchant=shop_a)
    client.force_login(dave)
    response = client.get(url(town_a, "offers"))
    # Followed (by business or by kind) first, newest first; then the town's.
    assert _titles(response) == ["Brezeln", "Lesenacht", "Stadtfest"]
    assert _titles(client.__class__().get(url(town_a, "offers"))) == ["Brezeln", "Stadtfest"]


@pytest.mark.parametrize(
    "fields",
    [
        {"published_at": None},
        {"withdrawn_at": "now"},
        {"starts_on": 1, "ends_on": 3},
        {"starts_on": -9, "ends_on": -1},
    ],
    ids=["draft", "withdrawn", "future", "past"],
)
def test_the_feed_shows_only_live_offers(client, town_a, shop_a, url, fields):
    values = dict(fields)
    for key in ("starts_on", "ends_on"):
        if key in values:
            values[key] = TODAY() + dt.timedelta(days=values[key])
    if values.get("withdrawn_at") == "now":
        values["withdrawn_at"] = timezone.now()
    offer = factories.offer(city=town_a, merchant=shop_a, **values)
    assert _titles(client.get(url(town_a, "offers"))) == []
    assert client.get(url(town_a, "offer_detail", offer.code)).status_code == 404


def test_a_shop_that_is_no_longer_public_has_no_offers_in_the_feed(client, town_a, shop_a, url):
    factories.offer(city=town_a, merchant=shop_a)
    shop_a.is_active = False
    shop_a.save()
    assert _titles(client.get(url(town_a, "offers"))) == []


def test_the_feed_pages_and_says_when_it_is_empty(client, town_a, url):
    assert (
        "There are no offers at the moment." in client.get(url(town_a, "offers")).content.decode()
    )
    for number in range(15):
        factories.offer(city=town_a, title=f"Angebot {number:02d}")
    second = client.get(url(town_a, "offers") + "?page=2")
    assert len(second.context["page"].object_list) == 3
    assert client.get(url(town_a, "offers") + "?page=x").status_code == 200


def test_an_offer_for_followers_is_seen_by_its_followers_and_its_shop_only(
    client, dave, bob, town_a, shop_a, url
):
    offer = factories.offer(city=town_a, merchant=shop_a, audience="followers")
    detail = url(town_a, "offer_detail", offer.code)
    assert client.get(detail).status_code == 404
    client.force_login(dave)
    assert client.get(detail).status_code == 404
    services.merchant_follow(user=dave, merchant=shop_a)
    assert client.get(detail).status_code == 200
    client.force_login(bob)
    assert client.get(detail).status_code == 200


def test_an_offer_of_another_town_is_a_404(client, charlie, town_a, town_b, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a)
    assert client.get(url(town_b, "offer_detail", offer.code)).status_code == 404
    client.force_login(charlie)
    assert client.get(url(town_b, "offer_detail", offer.code)).status_code == 404


def test_the_shop_page_shows_its_live_offers_its_map_and_a_follow_button(
    client, dave, town_a, shop_a, url
):
    shop_a.latitude, shop_a.longitude = 47.99, 7.85
    shop_a.save()
    factories.offer(city=town_a, merchant=shop_a, title="Brezeln")
    factories.offer(city=town_a, merchant=shop_a, title="Entwurf", published_at=None)
    client.force_login(dave)
    response = client.get(url(town_a, "merchant_detail", shop_a.code))
    body = response.content.decode()
    assert [offer.title for offer in response.context["offers"]] == ["Brezeln"]
    assert 'id="map-points"' in body and "47.99" in body
    assert 'value="follow"' in body


def _form(**fields):
    today = TODAY()
    data = {
        "title": "Herbstmarkt",
        "text": "Alles für den Herbst.",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=10)).isoformat(),
        "audience": "followers",
        "bonus_points": "20",
        "image_alt": "",
        "key": "form-1",
        "publish": "1",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_an_owner_publishes_an_offer_once_however_often_the_form_is_sent(
    client, bob, town_a, shop_a, url
):
    client.force_login(bob)
    new = url(town_a, "merchant_offer_new", shop_a.code)
    assert client.get(new).status_code == 200
    for _press in range(2):
        response = client.post(new, _form())
        assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.merchant, offer.audience, offer.bonus_points) == (shop_a, "followers", 20)
    assert offer.published_at is not None and offer.created_by == bob
    assert AuditEvent.objects.filter(action="offer.created").count() == 1
    listing = client.get(url(town_a, "merchant_offers", shop_a.code))
    assert [row[0] for row in listing.context["rows"]] == [offer]


def test_a_draft_is_not_shown_until_published(client, bob, dave, town_a, shop_a, url):
    client.force_login(bob)
    client.post(
        url(town_a, "merchant_offer_new", shop_a.code),
        _form(publish=None, save="1", audience="town"),
    )
    offer = Offer.objects.get()
    assert offer.published_at is None
    assert _titles(client.get(url(town_a, "offers"))) == []
    client.post(url(town_a, "merchant_offer_edit", shop_a.code, offer.code), _form(audience="town"))
    offer.refresh_from_db()
    assert offer.published_at is not None
    assert _titles(client.get(url(town_a, "offers"))) == ["Herbstmarkt"]


def test_a_cashier_cannot_write_offers_and_another_town_sees_nothing(
    client, carol, charlie, town_a, town_b, shop_a, url
):
    client.force_login(carol)
    assert client.get(url(town_a, "merchant_offers", shop_a.code)).status_code == 403
    assert client.post(url(town_a, "merchant_offer_new", shop_a.code), _form()).status_code == 403
    client.force_login(charlie)
    assert client.get(url(town_b, "merchant_offers", shop_a.code)).status_code == 404
    assert client.post(url(town_b, "merchant_offer_new", shop_a.code), _form()).status_code == 404
    assert not Offer.objects.exists()


def test_one_shop_cannot_edit_another_shops_offer(client, bob, town_a, shop_a, url):
    other = factories.merchant(city=town_a, name="Buchladen")
    offer = factories.offer(city=town_a, merchant=other)
    client.force_login(bob)
    assert (
        client.get(url(town_a, "merchant_offer_edit", shop_a.code, offer.code)).status_code == 404
    )
    assert (
        client.post(url(town_a, "merchant_offer_withdraw", shop_a.code, offer.code)).status_code
        == 404
    )
    offer.refresh_from_db()
    assert offer.withdrawn_at is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"ends_on": "2020-01-01", "starts_on": "2020-01-05"},
            "ends_on",
            "The offer must end on or after the day it starts.",
        ),
        (
            {"ends_on": "2020-01-02", "starts_on": "2020-01-01"},
            "ends_on",
            "This day is in the past.",
        ),
        ({"title": ""}, "title", "This field is required."),
        (
            {"text": "x" * 2001},
            "text",
            "Ensure this value has at most 2000 characters (it has 2001).",
        ),
        (
            {"bonus_points": "-1"},
            "bonus_points",
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            {"bonus_points": "10001"},
            "bonus_points",
            "Ensure this value is less than or equal to 10000.",
        ),
        (
            {"audience": "everyone"},
            "audience",
            "Select a valid choice. everyone is not one of the available choices.",
        ),
    ],
)
def test_it_refuses_bad_offers_with_a_reason(
    client, bob, town_a, shop_a, url, fields, field, message
):
    client.force_login(bob)
    response = client.post(url(town_a, "merchant_offer_new", shop_a.code), _form(**fields))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert not Offer.objects.exists()


def test_an_offer_runs_for_at_most_a_year(client, bob, town_a, shop_a, url):
    client.force_login(bob)
    ends = (TODAY() + dt.timedelta(days=400)).isoformat()
    response = client.post(url(town_a, "merchant_offer_new", shop_a.code), _form(ends_on=ends))
    assert response.context["form"].errors["ends_on"] == ["An offer runs for at most 366 days."]


def _jpeg_with_gps(size=(3000, 2000)) -> bytes:
    picture = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Kamerahersteller"  # Make
    exif[0x8825] = {1: "N", 2: (47.0, 59.0, 0.0)}  # GPS
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_an_offer_image_is_scaled_down_and_loses_its_metadata(client, bob, town_a, shop_a, url):
    client.force_login(bob)
    upload = SimpleUploadedFile("herbst.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(
        url(town_a, "merchant_offer_new", shop_a.code),
        {**_form(image_alt="Kürbisse auf dem Markt"), "image": upload},
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    with Image.open(offer.image.path) as stored:
        assert max(stored.size) == 1600
        assert not stored.getexif()
    offer.image.delete(save=False)


@pytest.mark.parametrize(
    ("content", "alt", "message"),
    [
        (b"<script>alert(1)</script>", "Bild", "This file is not a picture that can be read."),
        (b"GIF89a" + b"\x00" * 10, "Bild", "This file is not a picture that can be read."),
        (None, "", "Describe the picture for people who cannot see it."),
    ],
)
def test_it_refuses_a_file_that_is_no_picture_or_has_no_description(
    client, bob, town_a, shop_a, url, content, alt, message
):
    client.force_login(bob)
    upload = SimpleUploadedFile(
        "x.jpg", content or _jpeg_with_gps((40, 30)), content_type="image/jpeg"
    )
    response = client.post(
        url(town_a, "merchant_offer_new", shop_a.code), {**_form(image_alt=alt), "image": upload}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in errors.get("image", []) + errors.get("image_alt", [])
    assert not Offer.objects.exists()


def test_withdrawing_twice_withdraws_once(client, bob, town_a, shop_a, url):
    offer = factories.offer(city=town_a, merchant=shop_a)
    client.force_login(bob)
    for _press in range(2):
        response = client.post(url(town_a, "merchant_offer_withdraw", shop_a.code, offer.code))
        assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="offer.withdrawn").count() == 1
    assert _titles(client.get(url(town_a, "offers"))) == []


def test_the_operator_publishes_town_offers_for_everybody(client, alice, town_a, url):
    client.force_login(alice)
    response = client.post(
        url(town_a, "operator_offer_new"), _form(title="Stadtfest", audience="followers")
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.merchant, offer.audience) == (None, "town")
    anonymous = client.__class__()
    assert _titles(anonymous.get(url(town_a, "offers"))) == ["Stadtfest"]
    assert client.get(url(town_a, "operator_offer_edit", offer.code)).status_code == 200


def test_only_the_operator_writes_town_offers(client, bob, dave, charlie, town_a, town_b, url):
    offer = factories.offer(city=town_a)
    for person in (bob, dave):
        client.force_login(person)
        assert client.get(url(town_a, "operator_offers")).status_code == 403
        assert client.get(url(town_a, "operator_offer_edit", offer.code)).status_code == 403
        assert client.post(url(town_a, "operator_offer_withdraw", offer.code)).status_code == 403
    client.force_login(charlie)  # the operator of another town
    assert client.get(url(town_b, "operator_offer_edit", offer.code)).status_code == 404
    assert client.post(url(town_b, "operator_offer_withdraw", offer.code)).status_code == 404
    assert client.__class__().get(url(town_a, "operator_offers")).status_code == 302
    offer.refresh_from_db()
    assert offer.withdrawn_at is None


def test_a_reward_of_another_shop_cannot_go_with_an_offer(client, bob, town_a, shop_a, url):
    from marktplatz.loyalty.models import Reward

    other = factories.merchant(city=town_a, name="Buchladen")
    foreign = Reward.objects.create(city=town_a, merchant=other, title="Buch", points=50)
    own = Reward.objects.create(city=town_a, merchant=shop_a, title="Kaffee", points=30)
    client.force_login(bob)
    new = url(town_a, "merchant_offer_new", shop_a.code)
    response = client.post(new, _form(reward=str(foreign.pk)))
    assert "reward" in response.context["form"].errors
    client.post(new, _form(reward=str(own.pk)))
    assert Offer.objects.get().reward == own
