"""``ledger_post``, the PL/pgSQL twin of ``transaction_post`` that ``loyalty_earn`` calls:
the same rules, and plans that do not grow with the number of accounts."""

import pytest
from django.db import DatabaseError, connection, transaction

from marktplatz.core.ids import new_code
from marktplatz.ledger.models import Account, Transaction, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import account_open, ledger_for


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("ledger_post is PL/pgSQL")


@pytest.fixture
def book(town_a):
    ledger = ledger_for(city=town_a, asset="points")
    issuer = account_open(ledger=ledger, kind="issuance", reference="issuer", allow_negative=True)
    anna = account_open(ledger=ledger, kind="customer", reference="anna")
    shop = account_open(ledger=ledger, kind="merchant", reference="shop")

    def post(legs, key=None, fingerprint="f", checked=False):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM ledger_post(%s, %s, %s, %s, 'test', 'test', NULL, 'test', now(),"
                " %s, %s, %s, %s, %s, %s)",
                [
                    ledger.pk,
                    key,
                    fingerprint,
                    new_code(),
                    [debit.pk for debit, _credit, _amount in legs],
                    [credit.pk for _debit, credit, _amount in legs],
                    [amount for _debit, _credit, amount in legs],
                    ["" for _leg in legs],
                    [new_code() for _leg in legs],
                    checked,
                ],
            )
            return dict(
                zip(
                    ("transaction", "outcome", "account", "available"),
                    cursor.fetchone(),
                    strict=True,
                )
            )

    return ledger, {"issuer": issuer, "anna": anna, "shop": shop}, post


def _balance(account):
    return Account.objects.get(pk=account.pk).balance


def test_it_posts_nets_each_account_and_keeps_the_books_balanced(book):
    _ledger, acc, post = book
    answer = post([(acc["issuer"], acc["anna"], 100), (acc["anna"], acc["shop"], 30)])
    assert answer["outcome"] == "posted"
    assert Transfer.objects.filter(transaction_id=answer["transaction"]).count() == 2
    assert (_balance(acc["issuer"]), _balance(acc["anna"]), _balance(acc["shop"])) == (
        -100,
        70,
        30,
    )
    assert ledger_verify() == []


def test_it_refuses_an_overdraft_before_writing_anything(book):
    _ledger, acc, post = book
    post([(acc["issuer"], acc["anna"], 10)])
    answer = post([(acc["anna"], acc["shop"], 11)])
    assert (answer["outcome"], answer["account"], answer["available"]) == (
        "insufficient",
        acc["anna"].pk,
        10,
    )
    assert Transaction.objects.count() == 1
    assert _balance(acc["anna"]) == 10


def test_a_key_replays_the_same_content_and_refuses_other_content(book):
    _ledger, acc, post = book
    first = post([(acc["issuer"], acc["anna"], 10)], key="k-1", fingerprint="a")
    again = post([(acc["issuer"], acc["anna"], 10)], key="k-1", fingerprint="a")
    other = post([(acc["issuer"], acc["anna"], 99)], key="k-1", fingerprint="b")
    assert (again["outcome"], again["transaction"]) == ("replayed", first["transaction"])
    assert other["outcome"] == "conflict"
    # A caller that says it has looked the key up is still caught by the insert.
    late = post([(acc["issuer"], acc["anna"], 10)], key="k-1", fingerprint="a", checked=True)
    assert (late["outcome"], late["transaction"]) == ("replayed", first["transaction"])
    assert _balance(acc["anna"]) == 10


def test_an_account_of_another_ledger_is_refused(book, town_b):
    _ledger, acc, post = book
    stranger = account_open(
        ledger=ledger_for(city=town_b, asset="points"), kind="customer", reference="zoe"
    )
    with pytest.raises(DatabaseError, match="not in ledger"), transaction.atomic():
        post([(acc["issuer"], stranger, 5)])
    assert Transaction.objects.count() == 0


def test_its_plans_read_accounts_by_primary_key_only(book):
    """The functions keep one generic plan per statement (else PostgreSQL plans some of
    them anew on every call), and no generic plan scans the accounts: with thousands of
    accounts a posting would read them all (the generic plans of the joins with unnest
    before migration 0004 did)."""
    ledger, acc, post = book
    Account.objects.bulk_create(
        Account(
            city=ledger.city, ledger=ledger, code=new_code(), kind="customer", reference=f"c{i}"
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname FROM pg_proc WHERE proname IN ('ledger_post', 'loyalty_earn')"
            " AND 'plan_cache_mode=force_generic_plan' = ANY (proconfig)"
        )
        assert sorted(row[0] for row in cursor.fetchall()) == ["ledger_post", "loyalty_earn"]
        # Generic plans from the first call on (the functions' own setting wins over this).
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("ANALYZE ledger_account")
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET auto_explain.log_nested_statements = on")
        cursor.execute("SET client_min_messages = log")
    plans = []
    connection.ensure_connection()
    raw = connection.connection

    def keep(notice):
        plans.append(notice.message_primary)

    raw.add_notice_handler(keep)
    try:
        for _round in range(2):
            plans.clear()
            post([(acc["issuer"], acc["anna"], 1), (acc["anna"], acc["shop"], 1)])
    finally:
        raw.remove_notice_handler(keep)
        with connection.cursor() as cursor:
            cursor.execute("RESET client_min_messages")
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET auto_explain.log_min_duration")
    account_plans = [plan for plan in plans if "ledger_account" in plan]
    assert account_plans, plans
    assert not [plan for plan in account_plans if "Seq Scan on ledger_account" in plan]
