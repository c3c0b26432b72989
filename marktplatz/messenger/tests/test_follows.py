"""Following businesses and kinds of business."""

from marktplatz.messenger.models import Follow
from marktplatz.testing import factories


def test_it_follows_a_shop_once_however_often_the_button_is_pressed(client, dave, shop_a, url):
    client.force_login(dave)
    for _press in range(2):
        response = client.post(
            url(shop_a.city, "merchant_follow", shop_a.code), {"action": "follow"}
        )
        assert response.status_code == 302
    assert Follow.objects.filter(user=dave, merchant=shop_a).count() == 1
    page = client.get(url(shop_a.city, "merchant_detail", shop_a.code)).content.decode()
    assert "Stop following" in page or "Nicht mehr folgen" in page


def test_it_stops_following_and_a_second_press_changes_nothing(client, dave, shop_a, url):
    client.force_login(dave)
    client.post(url(shop_a.city, "merchant_follow", shop_a.code), {"action": "follow"})
    for _press in range(2):
        client.post(url(shop_a.city, "merchant_follow", shop_a.code), {"action": "unfollow"})
    assert not Follow.objects.filter(user=dave).exists()


def test_it_answers_htmx_with_the_button_alone(client, dave, shop_a, url):
    client.force_login(dave)
    response = client.post(
        url(shop_a.city, "merchant_follow", shop_a.code),
        {"action": "follow"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'value="unfollow"' in body and 'aria-pressed="true"' in body


def test_it_sends_a_visitor_to_the_login_and_stores_nothing(client, shop_a, url):
    response = client.post(url(shop_a.city, "merchant_follow", shop_a.code), {"action": "follow"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Follow.objects.exists()


def test_it_refuses_a_shop_of_another_town_or_not_public(client, dave, town_a, shop_b, url):
    client.force_login(dave)
    assert (
        client.post(url(town_a, "merchant_follow", shop_b.code), {"action": "follow"}).status_code
        == 404
    )
    hidden = factories.merchant(city=town_a, name="Wartend", status="pending", is_active=False)
    assert (
        client.post(url(town_a, "merchant_follow", hidden.code), {"action": "follow"}).status_code
        == 404
    )
    assert client.get(url(town_a, "merchant_follow", hidden.code)).status_code == 405
    assert not Follow.objects.exists()


def test_it_ignores_an_unknown_action(client, dave, shop_a, url):
    client.force_login(dave)
    response = client.post(url(shop_a.city, "merchant_follow", shop_a.code), {"action": "x" * 5000})
    assert response.status_code == 302
    assert not Follow.objects.exists()


def test_it_follows_kinds_of_business_and_lists_what_is_followed(client, dave, town_a, shop_a, url):
    client.force_login(dave)
    client.post(url(town_a, "merchant_follow", shop_a.code), {"action": "follow"})
    for _press in range(2):
        client.post(url(town_a, "follows"), {"category": "books", "action": "follow"})
    assert Follow.objects.filter(user=dave, category="books").count() == 1
    page = client.get(url(town_a, "follows"))
    assert [m.name for m in page.context["merchants"]] == ["Bäckerei Alt"]
    assert [value for value, _label in page.context["followed_categories"]] == ["books"]
    client.post(url(town_a, "follows"), {"category": "books", "action": "unfollow"})
    assert not Follow.objects.filter(category="books").exists()


def test_it_refuses_an_unknown_kind_of_business_with_a_message(client, dave, town_a, url):
    client.force_login(dave)
    response = client.post(
        url(town_a, "follows"), {"category": "weapons", "action": "follow"}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Choose a kind of business."]
    assert not Follow.objects.exists()


def test_follows_are_per_town(client, dave, town_a, town_b, shop_a, url):
    client.force_login(dave)
    client.post(url(town_a, "follows"), {"category": "books", "action": "follow"})
    client.post(url(town_a, "merchant_follow", shop_a.code), {"action": "follow"})
    # In another town the same person follows nothing there.
    page = client.get(url(town_b, "follows"))
    assert list(page.context["merchants"]) == []
    assert page.context["followed_categories"] == []
    assert Follow.objects.get(category="books").city == town_a
