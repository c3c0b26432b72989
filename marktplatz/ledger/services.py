"""Writing to the ledger. Every function here must be the only way rows change.

Concurrency: all accounts a posting touches are locked in one order (by primary key) with
SELECT … FOR NO KEY UPDATE on PostgreSQL, so two postings on the same accounts queue
instead of deadlocking, and the balance checks read what was committed before. A booking
of an app (earn, redeem, refund, expiry, vouchers, the purse, a checkout of several parts)
starts with ``lock_for_posting``: every account it may touch, before any other row, and
only then its idempotency key, so that a retry of a request still in flight waits for it
and answers like it. On SQLite the
transaction itself takes the database's write lock when it begins (settings:
``transaction_mode = IMMEDIATE``). The CHECK constraint ``account_not_overdrawn`` is the
last line of defence should a check here ever be wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, F, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.core.ids import new_code
from marktplatz.core.memo import remember
from marktplatz.core.sqlops import new_ids, rows_insert
from marktplatz.ledger.errors import (
    AlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidTransfer,
)
from marktplatz.ledger.models import (
    BALANCE_KINDS,
    Account,
    Ledger,
    Transaction,
    Transfer,
    TransferKind,
)

# Far beyond any real booking, far below 2**63: sums of many transfers cannot overflow.
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class Leg:
    debit: Account
    credit: Account
    amount: int
    reason_code: str = ""


def ledger_for(*, city: Any, asset: str) -> Ledger:
    """The ledger of (town, asset), opened on first use. Ledger rows never change."""

    def load() -> Ledger:
        return Ledger.objects.get_or_create(city_id=city.pk, asset=asset)[0]

    return remember(("ledger", city.pk, asset), 3600, load)


def account_open(
    *,
    ledger: Ledger,
    kind: str,
    reference: str,
    name: str = "",
    allow_negative: bool = False,
) -> Account:
    """The account of ``reference`` in ``ledger``, opened on first use."""
    account, created = Account.objects.get_or_create(
        ledger=ledger,
        reference=reference,
        defaults={
            "city_id": ledger.city_id,
            "kind": kind,
            "name": name,
            "allow_negative": allow_negative,
        },
    )
    if not created and (account.kind != kind or account.allow_negative != allow_negative):
        raise InvalidTransfer(_("Account %(ref)s exists with other settings.") % {"ref": reference})
    return account


def accounts_open(
    *, ledger: Ledger, kind: str, references: dict[str, str], allow_negative: bool = False
) -> dict[str, Account]:
    """Many accounts of one kind at once (``references``: reference → name), each opened
    on first use; like ``account_open`` in two queries instead of one per account."""
    existing = {
        a.reference: a
        for a in Account.objects.filter(ledger=ledger, reference__in=list(references))
    }
    for account in existing.values():
        if account.kind != kind or account.allow_negative != allow_negative:
            raise InvalidTransfer(
                _("Account %(ref)s exists with other settings.") % {"ref": account.reference}
            )
    missing = Account.objects.bulk_create(
        [
            Account(
                city_id=ledger.city_id,
                ledger=ledger,
                kind=kind,
                reference=reference,
                name=name,
                allow_negative=allow_negative,
            )
            for reference, name in references.items()
            if reference not in existing
        ],
        batch_size=500,
    )
    return {**existing, **{a.reference: a for a in missing}}


def replay(*, ledger: Ledger, idempotency_key: str, request: dict[str, Any]) -> Transaction | None:
    """The transaction already posted under this key for this request, if any.

    Raises IdempotencyConflict if the key was used for another request.
    """
    return _replay(ledger, idempotency_key, request_fingerprint(request))


def request_fingerprint(request: dict[str, Any]) -> str:
    """What an idempotency key is compared on: a hash of the request's content."""
    return _fingerprint(request=request)


def _fingerprint(**content: Any) -> str:
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()


def _check_amount(amount: Any) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidTransfer(_("Amounts are whole numbers."))
    if amount <= 0:
        raise InvalidTransfer(_("The amount must be greater than zero."))
    if amount > MAX_AMOUNT:
        raise InvalidTransfer(_("The amount is implausibly large."))


def _lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock and re-read the accounts, always in primary-key order (no deadlocks).

    FOR NO KEY UPDATE: it queues postings on the same accounts like FOR UPDATE does, but
    does not block other transactions that only insert rows referring to the accounts.
    """
    ids = sorted({a.pk for a in accounts})
    locked = (
        Account.objects.filter(pk__in=ids)
        .order_by("pk")
        .select_for_update(of=("self",), no_key=True)
    )
    return {a.pk: a for a in locked}


def _replay(ledger: Ledger, idempotency_key: str | None, fingerprint: str) -> Transaction | None:
    """The earlier transaction of this key if the content is the same; 409 if not."""
    if not idempotency_key:
        return None
    earlier = Transaction.objects.filter(ledger=ledger, idempotency_key=idempotency_key).first()
    if earlier is not None and earlier.fingerprint != fingerprint:
        raise IdempotencyConflict()
    return earlier


def _apply(
    *,
    ledger: Ledger,
    rows: list[Transfer],
    header: dict[str, Any],
    idempotency_key: str | None,
    fingerprint: str,
    locked_extra: Sequence[Transfer] = (),
    replay_checked: bool = False,
    locked: dict[int, Account] | None = None,
) -> tuple[Transaction, bool]:
    """Check and write one transaction of transfers; see ``transaction_post``.

    The key is looked up under the accounts' locks (unless the caller did so with
    ``lock_for_posting``): a retry of a request still in flight waits for it and replays
    its answer. A concurrent request with the same key that got past that is caught by the
    unique constraint on the key: its insert fails, and the retry below returns the
    winner's transaction.
    """
    try:
        with transaction.atomic():
            touched = [t.debit_account for t in rows] + [t.credit_account for t in rows]
            if locked is not None and all(a.pk in locked for a in touched):
                accounts = locked
            else:
                accounts = _lock(touched)
            if not replay_checked:
                earlier = _replay(ledger, idempotency_key, fingerprint)
                if earlier is not None:
                    return earlier, False
            for pending in locked_extra:
                if Transfer.objects.filter(pending=pending).exists():
                    raise AlreadyResolved()
            effect: dict[int, dict[str, int]] = defaultdict(
                lambda: {"balance": 0, "pending_debits": 0, "pending_credits": 0}
            )
            for row in rows:
                _effect_of(row, effect)
            for pk, change in effect.items():
                account = accounts[pk]
                available = (
                    account.balance
                    + change["balance"]
                    - account.pending_debits
                    - change["pending_debits"]
                )
                if not account.allow_negative and available < 0:
                    raise InsufficientFunds(
                        _("Not enough on the account: %(available)s available.")
                        % {"available": account.available},
                        account=account.code,
                        available=account.available,
                    )
            txn = Transaction.objects.create(
                city_id=ledger.city_id,
                ledger=ledger,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                **header,
            )
            for row in rows:
                row.transaction = txn
                row.city_id = ledger.city_id
                row.ledger = ledger
                row.reason_code = row.reason_code or header["reason_code"]
            Transfer.objects.bulk_create(rows)
            _update_accounts(effect)
            # Balances after the posting, for callers that show them.
            txn.balances = {
                pk: accounts[pk].balance
                + change["balance"]
                - accounts[pk].pending_debits
                - change["pending_debits"]
                for pk, change in effect.items()
            }
    except IntegrityError:
        # Two requests with one key raced; the other one won. Same content → its result.
        earlier = _replay(ledger, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return earlier, False
    return txn, True


def _header(reason_code: str, reason: str, actor: Any, actor_label: str, external_ref: str) -> dict:
    """The fields of a Transaction row, cut to their column lengths."""
    return {
        "reason_code": reason_code,
        "reason": reason[:200],
        "external_ref": external_ref[:128],
        "actor": actor if getattr(actor, "is_authenticated", False) else None,
        "actor_label": actor_label[:120],
    }


# Past this many accounts one CASE per column grows slow to build and to run: then one
# parametrised UPDATE per account, sent together (executemany).
CASE_UPDATE_LIMIT = 16


def _update_accounts(effect: dict[int, dict[str, int]]) -> None:
    """All account changes of a posting: one UPDATE statement, or one batch for many."""
    table = Account._meta.db_table
    if len(effect) > CASE_UPDATE_LIMIT and connection.vendor == "postgresql":
        # One set-based statement from arrays, in the order of the ids (as locked).
        ordered = sorted(effect.items())
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS a SET balance = a.balance + c.balance,"  # noqa: S608
                " pending_debits = a.pending_debits + c.debits,"
                " pending_credits = a.pending_credits + c.credits"
                " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
                " AS c(id, balance, debits, credits) WHERE a.id = c.id",
                [
                    [pk for pk, _c in ordered],
                    [c["balance"] for _pk, c in ordered],
                    [c["pending_debits"] for _pk, c in ordered],
                    [c["pending_credits"] for _pk, c in ordered],
                ],
            )
        return
    if len(effect) > CASE_UPDATE_LIMIT:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET balance = balance + %s, pending_debits = pending_debits"  # noqa: S608
                " + %s, pending_credits = pending_credits + %s WHERE id = %s",
                [
                    (c["balance"], c["pending_debits"], c["pending_credits"], pk)
                    for pk, c in sorted(effect.items())
                ],
            )
        return
    values = {}
    for field in ("balance", "pending_debits", "pending_credits"):
        whens = [When(pk=pk, then=Value(c[field])) for pk, c in effect.items() if c[field]]
        if whens:
            values[field] = F(field) + Case(
                *whens, default=Value(0), output_field=BigIntegerField()
            )
    if values:
        Account.objects.filter(pk__in=list(effect)).update(**values)


def _effect_of(row: Transfer, effect: dict[int, dict[str, int]]) -> None:
    debit, credit, amount = row.debit_account.pk, row.credit_account.pk, row.amount
    if row.kind in BALANCE_KINDS:
        effect[debit]["balance"] -= amount
        effect[credit]["balance"] += amount
    if row.kind == TransferKind.PENDING:
        effect[debit]["pending_debits"] += amount
        effect[credit]["pending_credits"] += amount
    if row.pending_id is not None:
        held = row.pending.amount
        effect[row.pending.debit_account_id]["pending_debits"] -= held
        effect[row.pending.credit_account_id]["pending_credits"] -= held


def transaction_post(
    *,
    ledger: Ledger,
    legs: Sequence[Leg],
    reason_code: str,
    reason: str = "",
    actor: Any = None,
    actor_label: str = "",
    idempotency_key: str | None = None,
    external_ref: str = "",
    pending: bool = False,
    timeout_at: Any = None,
    request: dict[str, Any] | None = None,
    replay_checked: bool = False,
    locked: dict[int, Account] | None = None,
) -> tuple[Transaction, bool]:
    """Post all ``legs`` or none. Returns (transaction, created).

    ``locked`` may pass accounts the caller has already locked, in primary-key order and
    in the surrounding transaction, with ``lock_accounts``; they are not locked again.

    The returned new transaction carries ``balances``: each touched account's available
    amount afterwards. ``replay_checked=True`` says the caller has just called
    ``replay()`` for this key and request.

    ``request``, if given, is what the idempotency key is compared on instead of the legs:
    a caller that derives the legs from a request (points from a purchase amount, say)
    passes the request itself, so a retry is recognised even if the legs would differ.

    With ``pending=True`` the legs only hold the amounts (two-phase transfers), to be
    posted, voided or expired later. A retry with the same ``idempotency_key`` and the
    same content returns the original transaction with ``created=False``; other content
    under the same key raises IdempotencyConflict. Raises InsufficientFunds when an
    account that may not go negative would, and InvalidTransfer for malformed legs.
    """
    if not legs:
        raise InvalidTransfer(_("A booking needs at least one transfer."))
    if not reason_code:
        raise InvalidTransfer(_("A booking needs a reason code."))
    for leg in legs:
        _check_amount(leg.amount)
        if leg.debit.pk == leg.credit.pk:
            raise InvalidTransfer(_("Debit and credit account must differ."))
        if leg.debit.ledger_id != ledger.pk or leg.credit.ledger_id != ledger.pk:
            raise InvalidTransfer(_("Both accounts must belong to the ledger."))
    fingerprint = (
        request_fingerprint(request)
        if request is not None
        else _fingerprint(
            legs=[(leg.debit.code, leg.credit.code, leg.amount, leg.reason_code) for leg in legs],
            reason_code=reason_code,
            reason=reason,
            external_ref=external_ref,
            pending=pending,
            timeout_at=timeout_at,
        )
    )
    kind = TransferKind.PENDING if pending else TransferKind.POSTED
    rows = [
        Transfer(
            kind=kind,
            debit_account=leg.debit,
            credit_account=leg.credit,
            amount=leg.amount,
            reason_code=leg.reason_code,
            timeout_at=timeout_at if pending else None,
        )
        for leg in legs
    ]
    header = _header(reason_code, reason, actor, actor_label, external_ref)
    return _apply(
        ledger=ledger,
        rows=rows,
        header=header,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        replay_checked=replay_checked,
        locked=locked,
    )


def lock_accounts(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock accounts for a posting that follows in the same transaction (pk order).

    Must be called inside ``transaction.atomic``; pass the result as ``locked``.
    """
    return _lock(accounts)


def lock_for_posting(
    *,
    ledger: Ledger,
    accounts: Iterable[Account],
    idempotency_key: str | None,
    request: dict[str, Any],
) -> tuple[dict[int, Account], Transaction | None]:
    """The one way a booking starts: lock every account it may touch, then look for an
    earlier transaction of its idempotency key. Returns (locked accounts, earlier).

    Must be called inside ``transaction.atomic``, before any other row of the booking is
    locked or read for a decision (balances, debts, what is left to refund): every booking
    takes its locks in the same order, accounts first and by primary key, so bookings on
    the same card and business queue instead of deadlocking.

    The key is looked up after the locks on purpose: a retry that arrives while the first
    request is still in flight waits here for it and then finds its transaction, so it
    answers like the first instead of judging the balance the first one already changed.
    Pass ``replay_checked=True`` and ``locked`` to ``transaction_post`` afterwards.
    Raises IdempotencyConflict if the key was used for another request.
    """
    locked = _lock(accounts)
    earlier = _replay(ledger, idempotency_key, request_fingerprint(request))
    return locked, earlier


def pending_resolve(
    *,
    pending: Transfer,
    action: str,
    amount: int | None = None,
    reason_code: str,
    reason: str = "",
    actor: Any = None,
    actor_label: str = "",
    idempotency_key: str | None = None,
) -> tuple[Transaction, bool]:
    """Post (in full or in part), void or expire a pending transfer; once only.

    ``action`` is "post", "void" or "expire"; ``amount`` (post only) defaults to the
    whole held amount and may be less. The rest of the hold is released.
    """
    if pending.kind != TransferKind.PENDING:
        raise InvalidTransfer(_("Only a pending transfer can be posted or voided."))
    kinds = {
        "post": TransferKind.POST_PENDING,
        "void": TransferKind.VOID_PENDING,
        "expire": TransferKind.EXPIRE_PENDING,
    }
    if action not in kinds:
        raise InvalidTransfer(_("Unknown action."))
    if action == "post":
        amount = pending.amount if amount is None else amount
        _check_amount(amount)
        if amount > pending.amount:
            raise InvalidTransfer(_("More than the held amount cannot be posted."))
    else:
        amount = pending.amount
    if action == "expire" and (pending.timeout_at is None or pending.timeout_at > timezone.now()):
        raise InvalidTransfer(_("This hold has not timed out."))
    row = Transfer(
        kind=kinds[action],
        debit_account=pending.debit_account,
        credit_account=pending.credit_account,
        amount=amount,
        reason_code=reason_code,
        pending=pending,
    )
    header = _header(reason_code, reason, actor, actor_label, "")
    fingerprint = _fingerprint(
        pending=pending.code, action=action, amount=amount, reason_code=reason_code
    )
    return _apply(
        ledger=pending.ledger,
        rows=[row],
        header=header,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        locked_extra=[pending],
    )


def pending_expire_due(*, ledger: Ledger, now: Any = None) -> int:
    """Expire every pending transfer of the ledger whose time is up; returns how many."""
    now = now or timezone.now()
    due = Transfer.objects.filter(
        ledger=ledger, kind=TransferKind.PENDING, timeout_at__lte=now, resolutions__isnull=True
    ).select_related("debit_account", "credit_account", "ledger")
    count = 0
    for held in due:
        try:
            pending_resolve(
                pending=held,
                action="expire",
                reason_code="pending.expired",
                actor_label="system:expiry",
                idempotency_key=f"expire:{held.code}",
            )
            count += 1
        except AlreadyResolved:
            continue
    return count


def transfer_reverse(
    *,
    original: Transfer,
    amount: int | None = None,
    reason_code: str,
    reason: str = "",
    actor: Any = None,
    actor_label: str = "",
    idempotency_key: str | None = None,
) -> tuple[Transaction, bool]:
    """Undo a posted transfer, in full or in part, by a transfer the other way.

    The reversals of one transfer never add up to more than the transfer itself.
    """
    if original.kind not in BALANCE_KINDS:
        raise InvalidTransfer(_("Only a posted transfer can be reversed."))
    amount = original.amount if amount is None else amount
    _check_amount(amount)
    with transaction.atomic():
        # Accounts first (the order of every booking), then the original, so that two
        # reversals of it cannot both pass the check below.
        locked = _lock([original.debit_account, original.credit_account])
        Transfer.objects.select_for_update(of=("self",)).filter(pk=original.pk).get()
        fingerprint = _fingerprint(reverses=original.code, amount=amount, reason_code=reason_code)
        earlier = _replay(original.ledger, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, False
        reversed_so_far = (
            Transfer.objects.filter(reverses=original).aggregate(total=Sum("amount"))["total"] or 0
        )
        if amount > original.amount - reversed_so_far:
            raise InvalidTransfer(
                _("At most %(left)s can still be reversed.")
                % {"left": original.amount - reversed_so_far}
            )
        row = Transfer(
            kind=TransferKind.POSTED,
            debit_account=original.credit_account,
            credit_account=original.debit_account,
            amount=amount,
            reason_code=reason_code,
            reverses=original,
        )
        header = _header(reason_code, reason, actor, actor_label, original.transaction.external_ref)
        return _apply(
            ledger=original.ledger,
            rows=[row],
            header=header,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            replay_checked=True,
            locked=locked,
        )


@dataclass
class Posting:
    """One transaction for ``postings_import``."""

    legs: Sequence[Leg]
    reason_code: str
    reason: str = ""
    created_at: Any = None
    actor_label: str = ""
    idempotency_key: str | None = None


def postings_import(*, ledger: Ledger, postings: Sequence[Posting]) -> list[Transaction]:
    """Write many postings at once (data imports, the demo's history, the settlement).

    The same rules as ``transaction_post``, applied in order: positive integer amounts,
    accounts of this ledger, no account that may not go negative ever below zero. All are
    written or none; every account is updated once at the end. Rows are written with
    ``rows_insert`` (COPY on PostgreSQL): an import of thousands of postings builds no
    model objects.
    """
    for posting in postings:
        if not posting.legs or not posting.reason_code:
            raise InvalidTransfer(_("A booking needs a transfer and a reason code."))
        for leg in posting.legs:
            _check_amount(leg.amount)
            if leg.debit.pk == leg.credit.pk or {leg.debit.ledger_id, leg.credit.ledger_id} != {
                ledger.pk
            }:
                raise InvalidTransfer(_("Both accounts must differ and belong to the ledger."))
    with transaction.atomic():
        accounts = _lock(
            [leg.debit for p in postings for leg in p.legs]
            + [leg.credit for p in postings for leg in p.legs]
        )
        running = {pk: a.balance - a.pending_debits for pk, a in accounts.items()}
        effect: dict[int, dict[str, int]] = defaultdict(
            lambda: {"balance": 0, "pending_debits": 0, "pending_credits": 0}
        )
        for index, posting in enumerate(postings):
            for leg in posting.legs:
                effect[leg.debit.pk]["balance"] -= leg.amount
                effect[leg.credit.pk]["balance"] += leg.amount
                running[leg.debit.pk] -= leg.amount
                running[leg.credit.pk] += leg.amount
            for leg in posting.legs:
                account = accounts[leg.debit.pk]
                if not account.allow_negative and running[account.pk] < 0:
                    raise InsufficientFunds(
                        _("Posting %(n)s would overdraw an account.") % {"n": index + 1},
                        account=account.code,
                    )
        now = timezone.now()
        txns = [
            Transaction(
                id=pk,
                code=new_code(),
                city_id=ledger.city_id,
                ledger_id=ledger.pk,
                idempotency_key=p.idempotency_key,
                fingerprint=_fingerprint(import_=p.idempotency_key or ""),
                reason_code=p.reason_code,
                reason=p.reason[:200],
                actor_label=p.actor_label[:120],
                created_at=p.created_at or now,
            )
            for pk, p in zip(new_ids(Transaction, len(postings)), postings, strict=True)
        ]
        rows_insert(
            Transaction,
            ("id", "code", "city_id", "ledger_id", "idempotency_key", "fingerprint",
             "reason_code", "reason", "external_ref", "actor_id", "actor_label", "created_at"),
            [
                (t.id, t.code, t.city_id, t.ledger_id, t.idempotency_key, t.fingerprint,
                 t.reason_code, t.reason, "", None, t.actor_label, t.created_at)
                for t in txns
            ],
        )  # fmt: skip
        legs = [(txn, leg) for txn, p in zip(txns, postings, strict=True) for leg in p.legs]
        rows_insert(
            Transfer,
            ("id", "code", "city_id", "transaction_id", "ledger_id", "kind", "debit_account_id",
             "credit_account_id", "amount", "reason_code", "created_at"),
            [
                (pk, new_code(), ledger.city_id, txn.id, ledger.pk, TransferKind.POSTED,
                 leg.debit.pk, leg.credit.pk, leg.amount, leg.reason_code or txn.reason_code,
                 txn.created_at)
                for pk, (txn, leg) in zip(new_ids(Transfer, len(legs)), legs, strict=True)
            ],
        )  # fmt: skip
        _update_accounts(effect)
    for txn in txns:
        txn._state.adding = False
    return txns
