"""Many threads on the same accounts, on PostgreSQL: no overdraft, nothing lost or doubled."""

import pytest
from django.db import connection

from marktplatz.ledger.errors import InsufficientFunds
from marktplatz.ledger.models import Account, Transaction, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import Leg, account_open, ledger_for, transaction_post
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


@pytest.fixture
def setup(town_a):
    ledger = ledger_for(city=town_a, asset="points")
    issuer = account_open(ledger=ledger, kind="issuance", reference="issuer", allow_negative=True)
    anna = account_open(ledger=ledger, kind="customer", reference="anna")
    shops = [account_open(ledger=ledger, kind="merchant", reference=f"shop{i}") for i in range(3)]
    transaction_post(ledger=ledger, legs=[Leg(issuer, anna, 1000)], reason_code="seed")
    return ledger, issuer, anna, shops


def test_it_never_overdraws_under_concurrent_spending(setup):
    ledger, _issuer, anna, shops = setup
    successes = []
    refusals = []

    def spend(index):
        for attempt in range(25):
            try:
                transaction_post(
                    ledger=ledger,
                    legs=[Leg(anna, shops[(index + attempt) % 3], 10)],
                    reason_code="spend",
                    idempotency_key=f"t{index}-{attempt}",
                )
                successes.append(1)
            except InsufficientFunds:
                refusals.append(1)

    run_in_threads(spend)
    # 200 attempts of 10 on a balance of 1000: exactly 100 go through.
    assert len(successes) == 100
    assert len(refusals) == 100
    assert Account.objects.get(pk=anna.pk).balance == 0
    assert Transfer.objects.filter(reason_code="spend").count() == 100
    assert (
        sum(Account.objects.filter(pk__in=[s.pk for s in shops]).values_list("balance", flat=True))
        == 1000
    )
    assert ledger_verify() == []


def test_it_books_a_retried_request_once_whatever_the_timing(setup):
    ledger, issuer, anna, _shops = setup
    results = []

    def retry(index):
        txn, created = transaction_post(
            ledger=ledger,
            legs=[Leg(issuer, anna, 5)],
            reason_code="earn",
            idempotency_key="the-same-key",
        )
        results.append((txn.pk, created))

    run_in_threads(retry)
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Transaction.objects.filter(idempotency_key="the-same-key").count() == 1
    assert Account.objects.get(pk=anna.pk).balance == 1005
    assert ledger_verify() == []


def test_it_moves_money_both_ways_without_deadlock(setup):
    ledger, issuer, anna, shops = setup
    transaction_post(ledger=ledger, legs=[Leg(issuer, shops[0], 1000)], reason_code="seed")

    def ping_pong(index):
        for attempt in range(20):
            a, b = (anna, shops[0]) if (index + attempt) % 2 else (shops[0], anna)
            transaction_post(
                ledger=ledger, legs=[Leg(a, b, 1), Leg(issuer, b, 1)], reason_code="pp"
            )

    run_in_threads(ping_pong)
    assert Transfer.objects.filter(reason_code="pp").count() == 8 * 20 * 2
    total = Account.objects.filter(pk__in=[anna.pk, shops[0].pk]).values_list("balance", flat=True)
    assert sum(total) == 2000 + 8 * 20
    assert ledger_verify() == []
