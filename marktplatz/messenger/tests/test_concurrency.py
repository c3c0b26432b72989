"""Many people at once on one offer and one business, on PostgreSQL: every follow, save
and figure counted exactly, nothing refused, the same request twice at once changes
nothing."""

import pytest
from django.db import connection
from django.utils import timezone

from marktplatz.messenger import services
from marktplatz.messenger.models import Follow, OfferDay, SavedOffer
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are tested on PostgreSQL (SQLite serialises them)")


def test_everything_at_once_on_one_offer(town_a, shop_a):
    offer = factories.offer(city=town_a, merchant=shop_a)
    people = [factories.person(f"p{n}@example.org", town_a, "citizen") for n in range(4)]
    today = timezone.localdate()

    def work(index):
        # Two threads per person, each doing everything: follow, save, see, open, share.
        person = people[index % len(people)]
        for _round in range(3):
            services.merchant_follow(user=person, merchant=shop_a)
            services.offer_save_for_later(user=person, offer=offer, day=today)
            for kind in ("impressions", "opens", "shares"):
                services.offer_seen(offer=offer, kind=kind, viewer=f"user:{person.pk}", day=today)
            services.offer_seen(
                offer=offer, kind="impressions", viewer=f"v{index}-{_round}", day=today
            )

    run_in_threads(work, threads=8)
    day = OfferDay.objects.get(offer=offer, day=today)
    # 4 people once each, plus 8 × 3 other viewers seeing it once each.
    assert (day.impressions, day.opens, day.shares, day.saves) == (4 + 24, 4, 4, 4)
    assert Follow.objects.filter(merchant=shop_a).count() == 4
    assert SavedOffer.objects.filter(offer=offer).count() == 4


def test_the_same_offer_form_sent_eight_times_at_once_makes_one_offer(town_a, shop_a, bob):
    from marktplatz.messenger.models import Offer

    def work(index):
        offer = Offer(
            city=town_a, merchant=shop_a, title="Brezeln", text="Frisch.", form_key="form-x",
            starts_on=timezone.localdate(), ends_on=timezone.localdate(),
        )  # fmt: skip
        services.offer_save(offer=offer, actor=bob, publish=True)

    run_in_threads(work, threads=8)
    assert Offer.objects.filter(form_key="form-x").count() == 1
