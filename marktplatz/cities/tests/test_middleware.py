from django.test import override_settings


def test_it_finds_the_town_from_the_path_prefix(client, town_a, shop_a):
    response = client.get("/altdorf/merchants/")
    assert response.status_code == 200
    assert b"B\xc3\xa4ckerei Alt" in response.content
    # Links in the page keep the prefix.
    assert f'href="/altdorf/merchants/{shop_a.code}/"'.encode() in response.content


def test_it_finds_the_town_from_a_subdomain(client, town_a, shop_a):
    response = client.get("/merchants/", HTTP_HOST="altdorf.localhost")
    assert response.status_code == 200
    assert f'href="/merchants/{shop_a.code}/"'.encode() in response.content


@override_settings(ALLOWED_HOSTS=["karte.altdorf.example"])
def test_it_finds_the_town_from_its_own_domain(client, town_a, shop_a):
    town_a.domain = "karte.altdorf.example"
    town_a.save()
    response = client.get("/merchants/", HTTP_HOST="karte.altdorf.example")
    assert response.status_code == 200
    assert b"B\xc3\xa4ckerei Alt" in response.content


def test_it_shows_a_town_less_404_for_an_unknown_town(client, town_a):
    response = client.get("/nowhere/merchants/")
    assert response.status_code == 404
    assert b"Altdorf" not in response.content
    assert b"Diese Stadt ist nicht auf Marktplatz" in response.content
    # A missing page of the platform itself is just a missing page.
    response = client.get("/accounts/nothing-here/")
    assert b"Seite nicht gefunden" in response.content
    response = client.get("/", HTTP_HOST="nowhere.localhost")
    assert response.status_code == 404
    assert b"Diese Stadt ist nicht auf Marktplatz" in response.content


def test_it_ignores_inactive_towns(client, town_a):
    town_a.is_active = False
    town_a.save()
    assert client.get("/altdorf/merchants/").status_code == 404


def test_it_lists_the_towns_on_the_bare_host(client, town_a, town_b):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/altdorf/"' in response.content
    assert b'href="/bergdorf/"' in response.content


def test_it_speaks_the_towns_language_until_the_visitor_chooses(client, town_a, town_b):
    town_b.default_language = "fr"
    town_b.save()
    assert client.get("/altdorf/").headers["Content-Language"] == "de"
    assert client.get("/bergdorf/").headers["Content-Language"] == "fr"
    response = client.post("/altdorf/i18n/setlang/", {"language": "en", "next": "/altdorf/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/altdorf/"
    page = client.get("/altdorf/")
    assert page.headers["Content-Language"] == "en"
    assert b'<html lang="en">' in page.content
    assert b"Welcome to the market square of Altdorf" in page.content


def test_it_serves_the_town_colours_as_css(client, town_a):
    town_a.primary_color = "#123456"
    town_a.save()
    css = client.get("/altdorf/brand.css")
    assert css.headers["Content-Type"].startswith("text/css")
    assert b"--brand:#123456" in css.content


def test_it_sends_a_strict_content_security_policy(client, town_a):
    policy = client.get("/altdorf/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy


def test_it_answers_the_health_check(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_every_top_level_path_is_reserved_for_town_slugs():
    from django.urls import get_resolver

    from marktplatz.cities.models import RESERVED_SLUGS

    for pattern in get_resolver().url_patterns:
        first = str(pattern.pattern).strip("^/").split("/")[0].split(".")[0]
        if first and "<" not in first:
            assert first in RESERVED_SLUGS, first


def test_it_rejects_a_reserved_slug_and_unreadable_colours(db):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from marktplatz.cities.models import City

    candidate = City(
        name="Admin",
        slug="admin",
        country="DE",
        currency="EUR",
        primary_color="#ffff00",
        time_zone="Mars/Olympus",
    )
    with translation.override("de"):
        try:
            candidate.full_clean()
        except ValidationError as error:
            errors = error.message_dict
        else:
            raise AssertionError("validation passed")
    assert "slug" in errors
    assert "time_zone" in errors
    assert errors["primary_color"] == [
        "Weißer Text ist auf dieser Farbe schwer lesbar; wählen Sie eine dunklere."
    ]
