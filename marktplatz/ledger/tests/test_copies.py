"""The copies without a foreign key (town and ledger of transactions and transfers, see
``core.tenancy.city_copy``) are checked by ``ledger_verify``, and every append-only table
still refuses UPDATE after the migrations that altered its columns."""

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, connection, transaction

from marktplatz.core.immutable import Immutable
from marktplatz.ledger.models import Transaction, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import Leg, account_open, ledger_for, transaction_post


def _post(points, accounts, amount=10):
    txn, _created = transaction_post(
        ledger=points, legs=[Leg(accounts["issuer"], accounts["anna"], amount)], reason_code="t"
    )
    return txn


def test_a_transaction_naming_another_town_is_found(points, accounts, town_b):
    _post(points, accounts)
    assert ledger_verify() == []
    Transaction.objects.create(city=town_b, ledger=points, fingerprint="x", reason_code="t")
    assert any("a transaction names another town" in line for line in ledger_verify())


def test_a_transfer_between_ledgers_is_found(points, accounts, town_b):
    txn = _post(points, accounts)
    elsewhere = account_open(
        ledger=ledger_for(city=town_b, asset="points"), kind="customer", reference="zoe"
    )
    Transfer.objects.create(
        city=points.city,
        transaction=txn,
        ledger=points,
        kind="posted",
        debit_account=accounts["issuer"],
        credit_account=elsewhere,
        amount=1,
        reason_code="t",
    )
    assert any("a transfer's account is in another ledger" in line for line in ledger_verify())


def test_a_transfer_of_another_ledgers_transaction_is_found(points, accounts, town_b):
    other = ledger_for(city=town_b, asset="points")
    issuer = account_open(ledger=other, kind="issuance", reference="i", allow_negative=True)
    zoe = account_open(ledger=other, kind="customer", reference="zoe")
    foreign, _created = transaction_post(ledger=other, legs=[Leg(issuer, zoe, 5)], reason_code="t")
    Transfer.objects.create(
        city=points.city,
        transaction=foreign,
        ledger=points,
        kind="posted",
        debit_account=accounts["issuer"],
        credit_account=accounts["anna"],
        amount=1,
        reason_code="t",
    )
    assert any("transaction is elsewhere" in line for line in ledger_verify())


def test_a_transaction_naming_no_ledger_is_found(points, accounts):
    _post(points, accounts)
    Transaction.objects.create(
        city=points.city, ledger_id=points.pk + 10_000, fingerprint="x", reason_code="t"
    )
    assert "1 row(s) of ledger.Transaction name no ledger" in ledger_verify()


APPEND_ONLY = sorted(
    model._meta.db_table
    for model in apps.get_models()
    if issubclass(model, Immutable) and not model._meta.abstract
)


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_every_append_only_table_refuses_update_in_the_database(table):
    # An UPDATE that touches no row fires no row trigger: look for the trigger itself.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass"
                " AND tgname = %s AND NOT tgisinternal",
                [table, f"{table}_append_only"],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [f"{table}_append_only"],
            )
        assert cursor.fetchone()[0] == 1, f"{table} has lost its append-only trigger"


def test_a_booking_table_row_cannot_be_updated(points, accounts):
    txn = _post(points, accounts)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        Transaction.objects.filter(pk=txn.pk).update(reason="changed")
