"""Random sequences of ledger operations keep both invariants, and agree with a model."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marktplatz.ledger.errors import LedgerError
from marktplatz.ledger.models import Account, Transfer
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import (
    Leg,
    account_open,
    ledger_for,
    pending_resolve,
    transaction_post,
    transfer_reverse,
)

ACCOUNTS = 4  # index 0 may go negative (the issuer), the others may not
_ledger_numbers = itertools.count()

amounts = st.integers(min_value=1, max_value=300)
pairs = st.tuples(st.integers(0, ACCOUNTS - 1), st.integers(0, ACCOUNTS - 1)).filter(
    lambda p: p[0] != p[1]
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), pairs, amounts, st.integers(0, 3)),
        st.tuples(st.just("hold"), pairs, amounts),
        st.tuples(
            st.just("resolve"), st.integers(0, 20), st.sampled_from(["post", "void"]), amounts
        ),
        st.tuples(st.just("reverse"), st.integers(0, 20), amounts),
    ),
    max_size=25,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_operations_keep_the_invariants(town_a, ops):
    ledger = ledger_for(city=town_a, asset=f"p{next(_ledger_numbers)}")
    accounts = [
        account_open(ledger=ledger, kind="issuance", reference="a0", allow_negative=True),
        *(account_open(ledger=ledger, kind="customer", reference=f"a{i}") for i in (1, 2, 3)),
    ]
    model = [0] * ACCOUNTS  # expected posted balances
    held = [0] * ACCOUNTS  # expected pending debits
    holds: list = []
    posted: list = []
    for n, op in enumerate(ops):
        try:
            if op[0] == "post":
                (d, c), amount, key = op[1], op[2], op[3]
                txn, created = transaction_post(
                    ledger=ledger,
                    legs=[Leg(accounts[d], accounts[c], amount)],
                    reason_code="p",
                    idempotency_key=f"k{key}-{d}-{c}-{amount}",
                )
                if created:
                    model[d] -= amount
                    model[c] += amount
                    posted.append(txn.transfers.get())
            elif op[0] == "hold":
                (d, c), amount = op[1], op[2]
                txn, _ = transaction_post(
                    ledger=ledger,
                    legs=[Leg(accounts[d], accounts[c], amount)],
                    reason_code="h",
                    pending=True,
                )
                holds.append(txn.transfers.get())
                held[d] += amount
            elif op[0] == "resolve" and holds:
                hold = holds[op[1] % len(holds)]
                amount = min(op[3], hold.amount) if op[2] == "post" else None
                pending_resolve(pending=hold, action=op[2], amount=amount, reason_code="r")
                d, c = accounts.index(hold.debit_account), accounts.index(hold.credit_account)
                held[d] -= hold.amount
                if op[2] == "post":
                    model[d] -= amount
                    model[c] += amount
                    posted.append(Transfer.objects.get(pending=hold))
            elif op[0] == "reverse" and posted:
                original = posted[op[1] % len(posted)]
                txn, _ = transfer_reverse(original=original, amount=op[2], reason_code="rev")
                d = accounts.index(original.debit_account)
                c = accounts.index(original.credit_account)
                model[c] -= op[2]
                model[d] += op[2]
        except LedgerError:
            pass
        balances = [Account.objects.get(pk=a.pk) for a in accounts]
        assert [a.balance for a in balances] == model, f"after operation {n}: {op}"
        assert [a.pending_debits for a in balances] == held
        for account in balances[1:]:
            assert account.balance - account.pending_debits >= 0
    assert ledger_verify() == []
