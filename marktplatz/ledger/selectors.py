"""Reading the ledger, and checking its invariants."""

from __future__ import annotations

from django.db.models import QuerySet, Sum

from marktplatz.ledger.models import (
    BALANCE_KINDS,
    Account,
    Ledger,
    Transfer,
    TransferKind,
)


def ledger_verify(*, ledgers: QuerySet[Ledger] | None = None) -> list[str]:
    """Check the invariants; returns one line per problem (empty when all is well).

    1. Per ledger the cached balances sum to zero, and so do pending debits minus credits.
    2. Every account's cached balance equals its posted credits minus posted debits.
    3. Every account's pending debits/credits equal its unresolved pending transfers.
    4. No account that may not go negative is below zero (less its pending debits).
    """
    problems: list[str] = []
    for ledger in ledgers if ledgers is not None else Ledger.objects.all():
        problems.extend(_verify_ledger(ledger))
    return problems


def _sum_by(qs: QuerySet[Transfer], field: str) -> dict[int, int]:
    return {
        row[field]: row["total"]
        for row in qs.values(field).annotate(total=Sum("amount")).order_by()
    }


def _verify_ledger(ledger: Ledger) -> list[str]:
    problems: list[str] = []
    label = f"ledger {ledger.city_id}/{ledger.asset}"
    totals = Account.objects.filter(ledger=ledger).aggregate(
        balance=Sum("balance"), debits=Sum("pending_debits"), credits=Sum("pending_credits")
    )
    if (totals["balance"] or 0) != 0:
        problems.append(f"{label}: balances sum to {totals['balance']}, not 0")
    if (totals["debits"] or 0) != (totals["credits"] or 0):
        problems.append(f"{label}: pending debits {totals['debits']} ≠ credits {totals['credits']}")

    posted = Transfer.objects.filter(ledger=ledger, kind__in=BALANCE_KINDS)
    credits, debits = _sum_by(posted, "credit_account"), _sum_by(posted, "debit_account")
    open_holds = Transfer.objects.filter(
        ledger=ledger, kind=TransferKind.PENDING, resolutions__isnull=True
    )
    held_debits = _sum_by(open_holds, "debit_account")
    held_credits = _sum_by(open_holds, "credit_account")
    for account in Account.objects.filter(ledger=ledger).order_by("pk"):
        pk = account.pk
        expected = credits.get(pk, 0) - debits.get(pk, 0)
        if account.balance != expected:
            problems.append(
                f"{label}: account {account.code} caches {account.balance}, transfers give {expected}"
            )
        if account.pending_debits != held_debits.get(pk, 0):
            problems.append(f"{label}: account {account.code} pending debits mismatch")
        if account.pending_credits != held_credits.get(pk, 0):
            problems.append(f"{label}: account {account.code} pending credits mismatch")
        if not account.allow_negative and account.balance - account.pending_debits < 0:
            problems.append(f"{label}: account {account.code} is overdrawn")
    return problems
