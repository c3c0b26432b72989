import pytest

from marktplatz.loyalty import services


@pytest.fixture
def member(town_a, dave):
    return services.member_for_user(city=town_a, user=dave)


@pytest.fixture
def card(member):
    return member.cards.get()
