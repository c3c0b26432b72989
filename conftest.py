"""Shared fixtures: two towns and personas after healthchecks' alice/bob/charlie.

Town A (Altdorf, DE/EUR) and town B (Bergdorf, CH/CHF). alice is operator admin of A,
bob owns a shop in A, carol is a cashier there, charlie is operator admin of B and
"should have no access" to anything of A.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from marktplatz.core.tenancy import scopes_disabled
from marktplatz.testing import factories


@pytest.fixture(autouse=True)
def _no_scope_in_test_code(request):
    """Test set-up and assertions work across towns; requests set their own scope."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests serve static files from the source tree; no collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from marktplatz.core.memo import forget_all

    cache.clear()
    forget_all()
    yield
    cache.clear()
    forget_all()


@pytest.fixture
def town_a(db):
    return factories.city(slug="altdorf", name="Altdorf", country="DE", currency="EUR")


@pytest.fixture
def town_b(db):
    return factories.city(
        slug="bergdorf", name="Bergdorf", country="CH", currency="CHF", time_zone="Europe/Zurich"
    )


@pytest.fixture
def shop_a(town_a):
    return factories.merchant(city=town_a, name="Bäckerei Alt")


@pytest.fixture
def shop_b(town_b):
    return factories.merchant(city=town_b, name="Bäckerei Berg")


@pytest.fixture
def alice(town_a):
    return factories.person("alice@example.org", town_a, "operator_admin")


@pytest.fixture
def bob(town_a, shop_a):
    return factories.person("bob@example.org", town_a, "merchant_owner", merchant=shop_a)


@pytest.fixture
def carol(town_a, shop_a):
    return factories.person("carol@example.org", town_a, "merchant_cashier", merchant=shop_a)


@pytest.fixture
def charlie(town_b):
    return factories.person("charlie@example.org", town_b, "operator_admin")


@pytest.fixture
def dave(town_a):
    return factories.person("dave@example.org", town_a, "citizen")


def town_url(city, name: str, *args) -> str:
    """The URL of ``name`` below the town's path prefix (/altdorf/…)."""
    return f"/{city.slug}" + reverse(name, args=args)


@pytest.fixture
def url():
    return town_url


@pytest.fixture
def client():
    """Logins like the real ones: see factories.LoginClient (money actions need 2FA)."""
    return factories.LoginClient()
