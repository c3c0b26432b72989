from django.db import connection
from django.test.utils import CaptureQueriesContext

from marktplatz.testing import factories


def test_it_lists_only_approved_active_merchants(client, town_a, shop_a):
    factories.merchant(city=town_a, name="Wartend", status="pending", is_active=False)
    factories.merchant(city=town_a, name="Pausiert", is_active=False)
    response = client.get("/altdorf/merchants/")
    names = [m.name for m in response.context["page"].object_list]
    assert names == ["Bäckerei Alt"]


def test_it_filters_by_word_and_category_and_answers_htmx_with_the_list_only(client, town_a):
    factories.merchant(city=town_a, name="Buchladen Eck", category="books")
    factories.merchant(city=town_a, name="Bäckerei Eck", category="bakery")
    response = client.get("/altdorf/merchants/?q=eck&category=books", HTTP_HX_REQUEST="true")
    assert [m.name for m in response.context["page"].object_list] == ["Buchladen Eck"]
    assert b"<html" not in response.content
    assert b'id="results"' not in response.content


def test_it_says_what_to_do_when_nothing_matches(client, town_a, shop_a):
    response = client.get("/altdorf/merchants/?q=zzz")
    assert response.context["page"].paginator.count == 0
    assert b'class="empty"' in response.content


def test_it_ignores_an_unknown_category_and_bad_page_numbers(client, town_a, shop_a):
    response = client.get("/altdorf/merchants/?category=weapons&page=abc")
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_it_pages_the_directory_with_a_bounded_number_of_queries(client, town_a):
    for i in range(45):
        factories.merchant(city=town_a, name=f"Laden {i:02d}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/altdorf/merchants/?page=3")
    assert [m.name for m in response.context["page"].object_list][:1] == ["Laden 40"]
    assert len(queries) <= 8


def test_it_shows_a_merchant_with_its_opening_hours(client, town_a, shop_a):
    response = client.get(f"/altdorf/merchants/{shop_a.code}/")
    assert response.status_code == 200
    assert "08:00-18:00" in response.content.decode()


def test_it_hides_a_pending_merchant(client, town_a):
    pending = factories.merchant(city=town_a, name="Wartend", status="pending", is_active=False)
    assert client.get(f"/altdorf/merchants/{pending.code}/").status_code == 404
