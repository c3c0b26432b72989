import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from marktplatz.core.tenancy import scopes_disabled
from marktplatz.ledger.errors import InsufficientFunds
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import rewards, selectors, services
from marktplatz.loyalty.models import MemberEvent, Reward, RewardClaim, Rsvp
from marktplatz.testing import factories


@pytest.fixture
def parking(town_a, shop_a):
    return Reward.objects.create(
        city=town_a, merchant=shop_a, title="1 h Parken", points=60, stock=2
    )


def test_a_member_gets_a_reward_and_the_merchant_hands_it_out_once(parking, member, shop_a, bob):
    claim = rewards.reward_claim(member=member, reward=parking, idempotency_key="c1")
    assert claim.token.startswith("MPR1-")
    assert rewards.reward_claim(member=member, reward=parking, idempotency_key="c1") == claim
    assert selectors.member_summary(member=member)["balance"] == 40
    parking.refresh_from_db()
    assert parking.stock == 1
    rewards.reward_fulfil(token=claim.token.lower(), merchant=shop_a, actor=bob)
    with pytest.raises(rewards.RewardUnavailable):
        rewards.reward_fulfil(token=claim.token, merchant=shop_a, actor=bob)
    assert ledger_verify() == []


def test_limits_per_person_stock_and_points_hold(parking, member, town_a, shop_a):
    rewards.reward_claim(member=member, reward=parking, idempotency_key="c1")
    with pytest.raises(rewards.RewardUnavailable):
        rewards.reward_claim(member=member, reward=parking, idempotency_key="c2")
    other = services.member_for_user(city=town_a, user=factories.user("eve@example.org"))
    rewards.reward_claim(member=other, reward=parking, idempotency_key="c3")
    third = services.member_for_user(city=town_a, user=factories.user("fay@example.org"))
    with pytest.raises(rewards.RewardUnavailable):
        rewards.reward_claim(member=third, reward=parking, idempotency_key="c4")
    pricey = Reward.objects.create(city=town_a, merchant=shop_a, title="Kino", points=500)
    with pytest.raises(InsufficientFunds):
        rewards.reward_claim(member=third, reward=pricey, idempotency_key="c5")


def test_a_reward_is_handed_out_only_by_its_merchant(parking, member, town_a, alice):
    claim = rewards.reward_claim(member=member, reward=parking, idempotency_key="c1")
    other = factories.merchant(city=town_a, name="Andere")
    with pytest.raises(rewards.RewardUnavailable):
        rewards.reward_fulfil(token=claim.token, merchant=other, actor=alice)
    with pytest.raises(rewards.RewardUnavailable):
        rewards.reward_fulfil(token=claim.token, merchant=None, actor=alice)


def test_events_keep_their_capacity(member, town_a):
    event = MemberEvent.objects.create(
        city=town_a,
        title="Stadtführung",
        starts_at=timezone.now() + dt.timedelta(days=3),
        location="Rathaus",
        capacity=1,
    )
    rewards.event_rsvp(event=event, member=member)
    rewards.event_rsvp(event=event, member=member)  # twice is once
    other = services.member_for_user(city=town_a, user=factories.user("eve@example.org"))
    with pytest.raises(rewards.EventFull):
        rewards.event_rsvp(event=event, member=other)
    rewards.event_cancel(event=event, member=member)
    rewards.event_rsvp(event=event, member=other)
    assert list(Rsvp.objects.values_list("member", flat=True)) == [other.pk]


@pytest.mark.django_db(transaction=True)
def test_stock_holds_under_concurrent_claims(town_a, shop_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL")
    reward = Reward.objects.create(city=town_a, merchant=shop_a, title="Bad", points=10, stock=3)
    members = [
        services.member_for_user(city=town_a, user=factories.user(f"m{i}@example.org"))
        for i in range(8)
    ]
    won, lost = [], []
    barrier = threading.Barrier(8)

    def claim(member):
        try:
            with scopes_disabled():
                barrier.wait()
                rewards.reward_claim(member=member, reward=reward, idempotency_key=f"k-{member.pk}")
                won.append(member)
        except rewards.RewardUnavailable:
            lost.append(member)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert (len(won), len(lost)) == (3, 5)
    reward.refresh_from_db()
    assert reward.stock == 0
    assert RewardClaim.objects.count() == 3
    assert ledger_verify() == []


def test_the_web_pages_claim_and_hand_out(client, dave, bob, town_a, shop_a, parking):
    client.force_login(dave)
    client.post("/altdorf/card/join/")
    page = client.get("/altdorf/rewards/")
    assert page.status_code == 200
    client.post(f"/altdorf/rewards/{parking.code}/claim/", {"key": "web-1"})
    claim = RewardClaim.objects.get()
    assert "<svg" in client.get("/altdorf/rewards/").content.decode()
    client.force_login(bob)
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/rewards/", {"fulfil-token": claim.token}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "fulfilled"
    response = client.post(
        f"/altdorf/merchant/{shop_a.code}/rewards/", {"fulfil-token": claim.token}
    )
    assert "token" in response.context["fulfil_form"].errors


def test_the_operator_offers_rewards_and_publishes_events(client, alice, town_a):
    client.force_login(alice)
    response = client.post(
        "/altdorf/operator/rewards/",
        {
            "reward-title": "Museum",
            "reward-points": "200",
            "reward-per_person_limit": "1",
            "reward-is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Reward.objects.get().merchant is None
    response = client.post(
        "/altdorf/operator/rewards/",
        {
            "event-title": "Sommerfest",
            "event-starts_at": "2030-07-01T18:00",
            "event-location": "Markt",
            "event-capacity": "0",
        },
    )
    assert "capacity" in response.context["event_form"].errors
    response = client.post(
        "/altdorf/operator/rewards/",
        {
            "event-title": "Sommerfest",
            "event-starts_at": "2030-07-01T18:00",
            "event-location": "Markt",
            "event-capacity": "50",
            "event-is_published": "on",
        },
    )
    assert response.status_code == 302
    assert MemberEvent.objects.get().capacity == 50


def test_a_merchant_sets_its_own_rate_within_the_towns_range(client, bob, carol, town_a, shop_a):
    url = f"/altdorf/merchant/{shop_a.code}/rewards/"
    client.force_login(carol)
    assert client.post(url, {"rate": "3"}).status_code == 403
    client.force_login(bob)
    assert client.post(url, {"rate": "3"}).status_code == 302
    assert services.rate_for(programme=services.programme_for(city=town_a), merchant=shop_a) == 3
    response = client.post(url, {"rate": "9"})
    assert response.context["rate_error"]
    assert services.rate_for(programme=services.programme_for(city=town_a), merchant=shop_a) == 3
