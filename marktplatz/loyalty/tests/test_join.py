"""Joining a town's city card is an explicit POST; looking at a card page enrols nobody."""

from __future__ import annotations

import pytest
from django.db import connection

from marktplatz.accounts.models import Role
from marktplatz.audit.models import AuditEvent
from marktplatz.loyalty import services
from marktplatz.loyalty.models import Booking, Card, Member
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads

CITIZEN_PAGES = [
    "/altdorf/card/",
    "/altdorf/card/?page=2",  # the history
    "/altdorf/rewards/",  # rewards and member events
    "/altdorf/card/purse/",
    "/altdorf/card/wallet/apple.pkpass",
    "/altdorf/card/wallet/google/",
]


@pytest.fixture
def visitor(town_b):
    """A citizen of town B visiting town A's pages."""
    return factories.person("vera@example.org", town_b, "citizen")


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_a_get_by_a_non_member_creates_nothing_and_offers_to_join(client, town_a, visitor, path):
    client.force_login(visitor)
    before = (Member.objects.count(), Card.objects.count(), Booking.objects.count())
    response = client.get(path)
    assert response.status_code == 200, path
    assert "loyalty/join.html" in [t.name for t in response.templates], path
    assert 'action="/altdorf/card/join/"' in response.content.decode()
    assert (Member.objects.count(), Card.objects.count(), Booking.objects.count()) == before
    assert not Role.objects.filter(user=visitor, city=town_a).exists()


def test_the_join_page_itself_creates_nothing_on_get(client, town_a, visitor):
    client.force_login(visitor)
    response = client.get("/altdorf/card/join/")
    assert response.status_code == 200
    assert not Member.objects.filter(user=visitor).exists()


def test_joining_makes_one_membership_and_one_welcome_bonus_however_often(client, town_a, visitor):
    client.force_login(visitor)
    for _press in range(2):
        response = client.post("/altdorf/card/join/", {"next": "/altdorf/rewards/"})
        assert response.status_code == 302 and response["Location"] == "/altdorf/rewards/"
    member = Member.objects.get(user=visitor)
    assert member.city == town_a
    assert member.cards.count() == 1
    assert Booking.objects.filter(member=member, kind="bonus").count() == 1
    assert Role.objects.filter(user=visitor, city=town_a, kind="citizen").count() == 1
    assert AuditEvent.objects.filter(action="member.joined", object_code=member.code).count() == 1
    assert client.get("/altdorf/card/").context["summary"]["balance"] == 100


def test_joining_needs_a_post_with_the_csrf_token(town_a, visitor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(visitor)
    assert strict.post("/altdorf/card/join/").status_code == 403
    assert not Member.objects.filter(user=visitor).exists()


def test_joining_goes_back_only_to_this_site(client, town_a, visitor):
    client.force_login(visitor)
    response = client.post("/altdorf/card/join/", {"next": "https://evil.example/"})
    assert response["Location"] == "/altdorf/card/"


def test_anonymous_visitors_are_asked_to_log_in(client, town_a):
    response = client.post("/altdorf/card/join/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Member.objects.exists()


def test_a_non_member_cannot_claim_rewards_or_book_events_without_joining(
    client, town_a, shop_a, visitor
):
    from marktplatz.loyalty.models import Reward

    reward = Reward.objects.create(city=town_a, merchant=shop_a, title="Parken", points=10)
    client.force_login(visitor)
    response = client.post(f"/altdorf/rewards/{reward.code}/claim/", {"key": "k"})
    assert response.status_code == 302 and response["Location"].endswith("/card/join/")
    assert not Member.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_joins_at_once_make_one_member(town_a):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent joins are tested on PostgreSQL")
    visitor = factories.person("vera@example.org", town_a, "citizen")
    run_in_threads(lambda _index: services.member_join(city=town_a, user=visitor), threads=6)
    member = Member.objects.get(user=visitor)
    assert Booking.objects.filter(member=member, kind="bonus").count() == 1
    assert member.cards.count() == 1
