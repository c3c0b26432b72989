"""Reading the ledger, and checking its invariants."""

from __future__ import annotations

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.utils.module_loading import import_string

from marktplatz.ledger.models import (
    BALANCE_KINDS,
    Account,
    Ledger,
    Transaction,
    Transfer,
    TransferKind,
)


def ledger_verify(*, ledgers: QuerySet[Ledger] | None = None) -> list[str]:
    """Check the invariants; returns one line per problem (empty when all is well).

    1. Per ledger the cached balances sum to zero, and so do pending debits minus credits.
    2. Every account's cached balance equals its posted credits minus posted debits.
    3. Every account's pending debits/credits equal its unresolved pending transfers.
    4. No account that may not go negative is below zero (less its pending debits).
    5. The copies that have no foreign key (see ``core.tenancy.city_copy``) agree: every
       transaction and transfer names an existing ledger and that ledger's town, every
       transfer its transaction's ledger, and both its accounts are in that ledger.
    6. What other apps check of their rows in the same way: each app may name functions
       returning such lines in its AppConfig's ``ledger_checks``.
    """
    problems: list[str] = []
    for ledger in ledgers if ledgers is not None else Ledger.objects.all():
        problems.extend(_verify_ledger(ledger))
        problems.extend(_verify_copies(ledger))
    if ledgers is None:
        known = Ledger.objects.values("pk")
        for model in (Transaction, Transfer):
            orphans = model.objects.exclude(ledger_id__in=known).count()
            if orphans:
                problems.append(f"{orphans} row(s) of {model._meta.label} name no ledger")
    cities = None if ledgers is None else {ledger.city_id for ledger in ledgers}
    for config in apps.get_app_configs():
        for path in getattr(config, "ledger_checks", ()):
            problems.extend(import_string(path)(cities=cities))
    return problems


def _verify_copies(ledger: Ledger) -> list[str]:
    label = f"ledger {ledger.city_id}/{ledger.asset}"
    checks = [
        (Transaction, ~Q(city_id=ledger.city_id), "a transaction names another town"),
        (Transfer, ~Q(city_id=ledger.city_id), "a transfer names another town"),
        (Transfer, ~Q(transaction__ledger_id=ledger.pk), "a transfer's transaction is elsewhere"),
        (
            Transfer,
            ~Q(debit_account__ledger_id=ledger.pk) | ~Q(credit_account__ledger_id=ledger.pk),
            "a transfer's account is in another ledger",
        ),
    ]
    problems = []
    for model, wrong, text in checks:
        count = model.objects.filter(ledger=ledger).filter(wrong).count()
        if count:
            problems.append(f"{label}: {text} ({count})")
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
