"""A till retrying a reward hand-out whose answer it lost, many times at once, on
PostgreSQL: one hand-out, and every retry hears the first answer."""

import pytest
from django.db import connection
from django.test import Client

from marktplatz.audit.models import AuditEvent
from marktplatz.loyalty.models import Reward, RewardClaim
from marktplatz.loyalty.rewards import reward_claim
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_retries_of_one_key_get_the_first_answer(town_a, shop_a, card, terminal):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests are tested on PostgreSQL")
    reward = Reward.objects.create(city=town_a, merchant=shop_a, title="Brezel", points=50)
    claim = reward_claim(member=card.member, reward=reward, idempotency_key="retry-claim")
    answers = []

    def hand_out(_index):
        response = Client().post(
            "/altdorf/api/pos/v1/rewards/fulfil",
            {"code": claim.token},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {terminal}",
            HTTP_IDEMPOTENCY_KEY="fulfil-retry-0001",
        )
        answers.append((response.status_code, response.json()))

    run_in_threads(hand_out, threads=8)
    assert len(answers) == 8
    assert {status for status, _body in answers} == {200}
    assert len({repr(body) for _status, body in answers}) == 1
    assert RewardClaim.objects.get(pk=claim.pk).status == RewardClaim.Status.FULFILLED
    assert AuditEvent.objects.filter(action="reward.fulfilled").count() == 1
