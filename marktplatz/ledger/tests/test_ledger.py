import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from marktplatz.core.immutable import AppendOnlyError
from marktplatz.ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
)
from marktplatz.ledger.models import Account, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import (
    Leg,
    account_open,
    ledger_for,
    pending_expire_due,
    pending_resolve,
    transaction_post,
    transfer_reverse,
)


def _balances(accounts):
    return {name: Account.objects.get(pk=a.pk).balance for name, a in accounts.items()}


def _give(points, accounts, to, amount, key=None):
    txn, _created = transaction_post(
        ledger=points,
        legs=[Leg(accounts["issuer"], accounts[to], amount)],
        reason_code="test.issue",
        idempotency_key=key,
    )
    return txn


def test_it_posts_and_caches_balances_that_sum_to_zero(points, accounts):
    _give(points, accounts, "anna", 500)
    transaction_post(
        ledger=points, legs=[Leg(accounts["anna"], accounts["shop"], 120)], reason_code="spend"
    )
    assert _balances(accounts) == {"issuer": -500, "anna": 380, "ben": 0, "shop": 120}
    assert ledger_verify() == []


def test_it_posts_several_legs_all_or_nothing(points, accounts):
    _give(points, accounts, "anna", 100)
    with pytest.raises(InsufficientFunds):
        transaction_post(
            ledger=points,
            legs=[
                Leg(accounts["issuer"], accounts["ben"], 50),
                Leg(accounts["anna"], accounts["shop"], 150),
            ],
            reason_code="split",
        )
    assert _balances(accounts) == {"issuer": -100, "anna": 100, "ben": 0, "shop": 0}
    assert Transfer.objects.count() == 1


@pytest.mark.parametrize("amount", [0, -5, 10**13, 1.5, "7", True])
def test_it_refuses_amounts_that_are_not_positive_integers(points, accounts, amount):
    with pytest.raises(InvalidTransfer):
        _give(points, accounts, "anna", amount)
    assert Transfer.objects.count() == 0


def test_it_refuses_transfers_across_ledgers_or_to_the_same_account(points, accounts, town_a):
    euros = ledger_for(city=town_a, asset="EUR")
    till = account_open(ledger=euros, kind="merchant", reference="till")
    with pytest.raises(InvalidTransfer):
        transaction_post(ledger=points, legs=[Leg(accounts["issuer"], till, 5)], reason_code="x")
    with pytest.raises(InvalidTransfer):
        transaction_post(
            ledger=points, legs=[Leg(accounts["anna"], accounts["anna"], 5)], reason_code="x"
        )


def test_it_returns_the_original_on_a_retry_and_409s_on_other_content(points, accounts):
    first = _give(points, accounts, "anna", 70, key="pos-1")
    again = _give(points, accounts, "anna", 70, key="pos-1")
    assert again.pk == first.pk
    assert Account.objects.get(pk=accounts["anna"].pk).balance == 70
    with pytest.raises(IdempotencyConflict):
        _give(points, accounts, "anna", 71, key="pos-1")
    assert Transfer.objects.count() == 1


def test_it_holds_then_posts_part_and_releases_the_rest(points, accounts):
    _give(points, accounts, "anna", 100)
    txn, _ = transaction_post(
        ledger=points,
        legs=[Leg(accounts["anna"], accounts["shop"], 80)],
        reason_code="hold",
        pending=True,
    )
    held = txn.transfers.get()
    anna = Account.objects.get(pk=accounts["anna"].pk)
    assert (anna.balance, anna.pending_debits, anna.available) == (100, 80, 20)
    # The hold is respected by other spending.
    with pytest.raises(InsufficientFunds):
        transaction_post(
            ledger=points, legs=[Leg(accounts["anna"], accounts["ben"], 30)], reason_code="x"
        )
    pending_resolve(pending=held, action="post", amount=60, reason_code="capture")
    anna.refresh_from_db()
    assert (anna.balance, anna.pending_debits) == (40, 0)
    assert Account.objects.get(pk=accounts["shop"].pk).balance == 60
    with pytest.raises(AlreadyResolved):
        pending_resolve(pending=held, action="void", reason_code="void")
    assert ledger_verify() == []


def test_it_voids_and_expires_holds(points, accounts):
    _give(points, accounts, "anna", 100)
    past = timezone.now() - dt.timedelta(minutes=1)
    future = timezone.now() + dt.timedelta(hours=1)
    transaction_post(
        ledger=points,
        legs=[Leg(accounts["anna"], accounts["shop"], 10)],
        reason_code="h1",
        pending=True,
        timeout_at=past,
    )
    t2, _ = transaction_post(
        ledger=points,
        legs=[Leg(accounts["anna"], accounts["shop"], 20)],
        reason_code="h2",
        pending=True,
        timeout_at=future,
    )
    t3, _ = transaction_post(
        ledger=points,
        legs=[Leg(accounts["anna"], accounts["shop"], 30)],
        reason_code="h3",
        pending=True,
    )
    with pytest.raises(InvalidTransfer):
        pending_resolve(pending=t2.transfers.get(), action="expire", reason_code="x")
    pending_resolve(pending=t3.transfers.get(), action="void", reason_code="void")
    assert pending_expire_due(ledger=points) == 1
    anna = Account.objects.get(pk=accounts["anna"].pk)
    assert (anna.balance, anna.pending_debits) == (100, 20)
    assert ledger_verify() == []


def test_it_corrects_only_by_reversal_never_beyond_the_original(points, accounts):
    txn = _give(points, accounts, "anna", 100)
    original = txn.transfers.get()
    transfer_reverse(original=original, amount=30, reason_code="refund")
    with pytest.raises(InvalidTransfer):
        transfer_reverse(original=original, amount=71, reason_code="refund")
    transfer_reverse(original=original, amount=70, reason_code="refund")
    assert Account.objects.get(pk=accounts["anna"].pk).balance == 0
    with pytest.raises(InvalidTransfer):
        transfer_reverse(original=original, amount=1, reason_code="refund")
    assert ledger_verify() == []


def test_it_refuses_to_change_or_delete_transfers(points, accounts):
    transfer = _give(points, accounts, "anna", 5).transfers.get()
    transfer.amount = 500
    with pytest.raises(AppendOnlyError):
        transfer.save()
    with pytest.raises(AppendOnlyError):
        transfer.delete()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(amount=500)
    assert Transfer.objects.get(pk=transfer.pk).amount == 5


def test_the_database_refuses_an_overdrawn_account(points, accounts):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=accounts["anna"].pk).update(balance=-1)


def test_it_finds_a_tampered_balance(points, accounts, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    _give(points, accounts, "anna", 100)
    Account.objects.filter(pk=accounts["anna"].pk).update(balance=99)
    problems = ledger_verify()
    assert any("caches 99, transfers give 100" in p for p in problems)
    assert any("sum to -1" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("ledger_verify", city="altdorf")


def test_it_imports_many_postings_with_the_same_rules(points, accounts):
    from marktplatz.ledger.services import Posting, postings_import

    earlier = timezone.now() - dt.timedelta(days=100)
    txns = postings_import(
        ledger=points,
        postings=[
            Posting([Leg(accounts["issuer"], accounts["anna"], 50)], "import", created_at=earlier),
            Posting([Leg(accounts["anna"], accounts["shop"], 30)], "import"),
        ],
    )
    assert len(txns) == 2 and txns[0].created_at == earlier
    assert _balances(accounts) == {"issuer": -50, "anna": 20, "ben": 0, "shop": 30}
    with pytest.raises(InsufficientFunds):
        postings_import(
            ledger=points,
            postings=[
                Posting([Leg(accounts["anna"], accounts["shop"], 15)], "import"),
                Posting([Leg(accounts["anna"], accounts["shop"], 15)], "import"),
            ],
        )
    assert _balances(accounts)["anna"] == 20
    assert ledger_verify() == []
