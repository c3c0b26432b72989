"""Error pages keep the layout, the navigation and the language switch; the 500 page
renders without a single query even when the database is gone mid-request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from marktplatz.core.tests import failing_urls


@pytest.fixture
def failing(settings, db):
    settings.ROOT_URLCONF = "marktplatz.core.tests.failing_urls"
    failing_urls.QUERIES_AFTER_FAILURE.clear()
    yield Client(raise_request_exception=False)
    if failing_urls.refuse in connection.execute_wrappers:
        connection.execute_wrappers.remove(failing_urls.refuse)


def has_layout(text: str) -> bool:
    return '<nav aria-label="' in text and 'name="language"' in text and "/i18n/setlang/" in text


@pytest.mark.parametrize(
    ("language", "heading"),
    [("de", "Ein Fehler ist aufgetreten"), ("fr", "Une erreur s’est produite"),
     ("it", "Si è verificato un errore"), ("en", "Something went wrong")],
)  # fmt: skip
def test_the_500_page_keeps_layout_and_language_without_a_query(failing, town_a, language, heading):
    failing.cookies["mp_language"] = language
    response = failing.get("/altdorf/fail/")
    assert response.status_code == 500
    text = response.content.decode()
    assert heading in text
    assert has_layout(text)
    assert f'<html lang="{language}">' in text
    assert 'href="/altdorf/merchants/"' in text  # the town's public navigation
    assert failing_urls.QUERIES_AFTER_FAILURE == []


def test_the_500_page_without_a_town(failing, town_a):
    response = failing.get("/fail/")
    assert response.status_code == 500
    assert has_layout(response.content.decode())
    assert failing_urls.QUERIES_AFTER_FAILURE == []


def test_a_403_keeps_the_navigation_and_the_language_switch(client, dave, town_a):
    client.force_login(dave)
    response = client.get("/altdorf/operator/card/")
    assert response.status_code == 403
    text = response.content.decode()
    assert has_layout(text) and 'href="/altdorf/card/"' in text  # dave's own menu


def test_a_404_keeps_the_navigation(client, town_a):
    response = client.get("/altdorf/nothing-here/")
    assert response.status_code == 404
    assert has_layout(response.content.decode())


def test_a_get_to_a_post_only_address_is_a_405_page(client, carol, shop_a):
    client.force_login(carol)
    response = client.get(f"/altdorf/merchant/{shop_a.code}/pos/earn/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    text = response.content.decode()
    assert has_layout(text)
    assert "Auf diese Weise nicht möglich" in text
