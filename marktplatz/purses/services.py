"""The card purse: gift vouchers loaded onto a city card, employer benefits loaded by
month, and paying with the card at the town's businesses.

Ledger (the town's currency ledger):
- an employer benefit is a voucher paid from ``employer:<code>``, an account that goes
  negative by what the employer owes; the monthly invoice, once paid, moves the money in
  (``operator:voucher-sales → employer:<code>``);
- paying with the card moves money from the card's vouchers to
  ``merchant-vouchers:<merchant>``, like a voucher at the till, so the monthly statement
  settles it the same way. One payment is one ledger transaction, however many vouchers
  it draws on.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.core.templatetags.marktplatz import money
from marktplatz.ledger.models import Account, AccountKind
from marktplatz.ledger.services import (
    Leg,
    account_open,
    lock_for_posting,
    replay,
    transaction_post,
)
from marktplatz.purses.models import (
    DEFAULT_MONTHLY_LIMITS,
    FALLBACK_MONTHLY_LIMIT,
    BenefitLoad,
    BenefitRules,
    Employee,
)
from marktplatz.vouchers.errors import (
    VoucherBadValue,
    VoucherError,
    VoucherInsufficient,
    VoucherNotAccepted,
)
from marktplatz.vouchers.models import Voucher, VoucherProduct, VoucherRedemption
from marktplatz.vouchers.services import (
    balance_of,
    merchant_voucher_account,
    money_ledger,
    voucher_issue,
    voucher_lookup,
)


class PurseError(VoucherError):
    code = "purse_refused"


def rules_for(*, city: Any) -> BenefitRules:
    return BenefitRules.objects.get_or_create(
        city_id=city.pk,
        defaults={
            "monthly_limit_minor": DEFAULT_MONTHLY_LIMITS.get(city.country, FALLBACK_MONTHLY_LIMIT)
        },
    )[0]


def month_of(*, city: Any, when: dt.datetime | None = None) -> dt.date:
    """The first day of the town's current (or ``when``'s) calendar month."""
    local = (when or timezone.now()).astimezone(zoneinfo.ZoneInfo(city.time_zone))
    return dt.date(local.year, local.month, 1)


def benefit_product(*, city: Any) -> VoucherProduct:
    product = VoucherProduct.objects.filter(
        city_id=city.pk, kind=VoucherProduct.Kind.BENEFIT
    ).first()
    return product or VoucherProduct.objects.create(
        city=city, name=_("Employer benefit"), kind=VoucherProduct.Kind.BENEFIT, is_active=False
    )


def employer_account(*, employer: Any) -> Account:
    """Negative by what the employer owes for benefits loaded."""
    return account_open(
        ledger=money_ledger(city=employer.city),
        kind=AccountKind.RECEIVABLE,
        reference=f"employer:{employer.code}",
        name=employer.name,
        allow_negative=True,
    )


# The purse --------------------------------------------------------------------------------


@dataclass
class PurseEntry:
    voucher: Voucher
    balance: int
    month: dt.date | None  # employer benefits: the month they are for


def purse_of(*, card: Any, now: dt.datetime | None = None) -> list[PurseEntry]:
    """What the card can pay with, in the order it is spent: employer benefits by month,
    then gift vouchers by expiry (the one expiring first first)."""
    now = now or timezone.now()
    vouchers = (
        Voucher.objects.filter(card=card, expired=False, expires_at__gt=now)
        .select_related("account", "product")
        .order_by("expires_at", "pk")
    )
    months = dict(
        BenefitLoad.objects.filter(voucher__in=vouchers).values_list("voucher_id", "month")
    )
    entries = [
        PurseEntry(voucher, voucher.account.balance, months.get(voucher.pk))
        for voucher in vouchers
        if voucher.account.balance > 0
    ]
    entries.sort(key=lambda e: (e.month is None, e.month or dt.date.min, e.voucher.expires_at))
    return entries


def purse_balance(*, card: Any) -> int:
    return sum(entry.balance for entry in purse_of(card=card))


def voucher_load_onto_card(*, city: Any, card: Any, code: str, actor: Any) -> Voucher:
    """Put a gift voucher onto ``card``: from then on the card pays with it, the printed
    code no longer does."""
    voucher = voucher_lookup(city=city, code=code)
    with transaction.atomic():
        locked = Voucher.objects.select_for_update().get(pk=voucher.pk)
        if locked.card_id == card.pk:
            return locked
        if locked.card_id is not None:
            raise PurseError(_("This voucher is already loaded onto a city card."))
        if locked.expired or locked.expires_at < timezone.now():
            raise PurseError(_("This voucher has expired."))
        if balance_of(locked) <= 0:
            raise PurseError(_("This voucher has nothing left to load."))
        Voucher.objects.filter(pk=locked.pk).update(card=card)
        locked.card = card
        audit_record(
            city=city, actor=actor, action="voucher.loaded_onto_card", obj=locked,
            data={"card": card.code},
        )  # fmt: skip
    return locked


@dataclass
class PurseRedemptionResult:
    redemptions: list[VoucherRedemption]
    amount_minor: int
    balance_after: int
    created: bool


def purse_pay(
    *,
    city: Any,
    merchant: Any,
    card: Any,
    amount_minor: int,
    idempotency_key: str | None,
    actor: Any = None,
    actor_label: str = "",
) -> PurseRedemptionResult:
    """Pay ``amount_minor`` at ``merchant`` from the card's purse, drawing on as many of
    its vouchers as needed, all in one ledger transaction. Refused in full (with the
    purse's balance named) when the purse holds less."""
    request = {"op": "purse.pay", "merchant": merchant.code, "card": card.code,
               "amount": amount_minor}  # fmt: skip
    ledger = money_ledger(city=city)
    if idempotency_key:
        earlier = replay(ledger=ledger, idempotency_key=idempotency_key, request=request)
        if earlier is not None:
            return _result(earlier, card, created=False)
    if not merchant.takes_payments:
        raise VoucherNotAccepted()
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise VoucherBadValue(_("The amount must be greater than zero."))
    payee = merchant_voucher_account(merchant=merchant)
    with transaction.atomic():
        entries = purse_of(card=card)
        # Balances are read again under the accounts' locks: two tills at once cannot
        # both spend the same money, and a retry in flight waits and replays.
        locked, earlier = lock_for_posting(
            ledger=ledger,
            accounts=[entry.voucher.account for entry in entries] + [payee],
            idempotency_key=idempotency_key,
            request=request,
        )
        if earlier is not None:
            return _result(earlier, card, created=False)
        available = sum(locked[entry.voucher.account_id].available for entry in entries)
        if amount_minor > available:
            raise VoucherInsufficient(
                _("The card's purse only has %(balance)s.") % {"balance": money(available, city)},
                balance=available,
            )
        legs, draws, rest = [], [], amount_minor
        for entry in entries:
            take = min(rest, locked[entry.voucher.account_id].available)
            if take > 0:
                legs.append(Leg(entry.voucher.account, payee, take))
                draws.append((entry.voucher, take))
                rest -= take
            if rest == 0:
                break
        txn, created = transaction_post(
            ledger=ledger,
            legs=legs,
            reason_code="purse.paid",
            reason=_("City card at %(merchant)s") % {"merchant": merchant.name},
            actor=actor,
            actor_label=actor_label,
            idempotency_key=idempotency_key,
            request=request,
            replay_checked=True,
            locked=locked,
        )
        if not created:
            return _result(txn, card, created=False)
        VoucherRedemption.objects.bulk_create(
            [
                VoucherRedemption(city=city, voucher=voucher, merchant=merchant,
                                  amount_minor=take, transaction=txn)
                for voucher, take in draws
            ]
        )  # fmt: skip
    return _result(txn, card, created=True)


def _result(txn: Any, card: Any, *, created: bool) -> PurseRedemptionResult:
    redemptions = list(
        VoucherRedemption.objects.filter(transaction=txn).select_related("voucher").order_by("pk")
    )
    return PurseRedemptionResult(
        redemptions=redemptions,
        amount_minor=sum(r.amount_minor for r in redemptions),
        balance_after=purse_balance(card=card),
        created=created,
    )


def purse_by_month(*, card: Any) -> list[dict]:
    """The card's employer benefits per month: loaded, spent, left (newest first)."""
    loads = (
        BenefitLoad.objects.filter(voucher__card=card)
        .select_related("voucher__account", "employer")
        .order_by("-month", "pk")
    )
    months: dict[dt.date, dict] = {}
    for load in loads:
        row = months.setdefault(
            load.month, {"month": load.month, "loaded": 0, "left": 0, "employers": set()}
        )
        row["loaded"] += load.amount_minor
        if not load.voucher.expired:
            row["left"] += load.voucher.account.balance
        row["employers"].add(load.employer.name)
    for row in months.values():
        row["spent"] = row["loaded"] - row["left"]
        row["employers"] = ", ".join(sorted(row["employers"]))
    return list(months.values())


# Employer benefits ----------------------------------------------------------------------


@dataclass
class LoadOutcome:
    employee: Employee
    amount_minor: int  # loaded (or, in a preview, to be loaded); 0: nothing
    reason: str = ""  # why nothing, or less than asked, is loaded
    pending: bool = False  # not loaded yet: the run loads it


def loaded_in_month(*, employee: Employee, month: dt.date) -> int:
    return (
        BenefitLoad.objects.filter(employee=employee, month=month).aggregate(s=Sum("amount_minor"))[
            "s"
        ]
        or 0
    )


def _load_plan(
    *, employer: Any, month: dt.date, limit: int, run_key: str | None
) -> list[LoadOutcome]:
    """Per active employee, what a load run of ``month`` does: their monthly amount (never
    more than the tax-free limit), once a month. An employee loaded already this month
    gets nothing more; one loaded by the run ``run_key`` is shown with that load."""
    loads = {
        load.employee_id: load
        for load in BenefitLoad.objects.filter(employer=employer, month=month)
    }
    employees = Employee.objects.filter(employer=employer, is_active=True).select_related("card")
    plan: list[LoadOutcome] = []
    for employee in employees.order_by("last_name", "first_name", "pk"):
        asked = employee.monthly_amount_minor or limit
        capped = _("limited to the tax-free monthly limit") if asked > limit else ""
        load = loads.get(employee.pk)
        if load is not None:
            if run_key is not None and load.run_key == run_key:
                plan.append(LoadOutcome(employee, load.amount_minor, capped))
            else:
                plan.append(LoadOutcome(employee, 0, _("already loaded for this month")))
        elif employee.card is None or employee.card.status != "active":
            plan.append(LoadOutcome(employee, 0, _("no active city card")))
        else:
            plan.append(LoadOutcome(employee, min(asked, limit), capped, pending=True))
    return plan


def benefits_preview(*, employer: Any, now: dt.datetime | None = None) -> list[LoadOutcome]:
    """What a load run would load now, for the employer to confirm (nothing is written)."""
    city = employer.city
    month = month_of(city=city, when=now or timezone.now())
    return _load_plan(
        employer=employer, month=month, limit=rules_for(city=city).monthly_limit_minor,
        run_key=None,
    )  # fmt: skip


def benefits_load(
    *, employer: Any, run_key: str, actor: Any = None, now: dt.datetime | None = None
) -> list[LoadOutcome]:
    """Load this month's benefit onto the card of every active employee not loaded yet
    this month: their monthly amount, never more than the tax-free limit.

    Once per employee and month (also a unique constraint). ``run_key`` (the confirmation
    form's key) makes a repeated submission, sent twice or twice at once, load nothing
    more and answer as the first did.
    """
    city = employer.city
    now = now or timezone.now()
    month = month_of(city=city, when=now)
    with transaction.atomic():
        # One load run per employer at a time: the next one waits and then sees this
        # one's loads (read after the lock, in their own statements).
        type(employer).objects.select_for_update().filter(pk=employer.pk).first()
        limit = rules_for(city=city).monthly_limit_minor
        plan = _load_plan(employer=employer, month=month, limit=limit, run_key=run_key)
        if BenefitLoad.objects.filter(employer=employer, run_key=run_key).exists():
            return [replace(outcome, amount_minor=0, pending=False) if outcome.pending
                    else outcome for outcome in plan]  # fmt: skip
        product = benefit_product(city=city)
        source = employer_account(employer=employer)
        for outcome in plan:
            if not outcome.pending:
                continue
            employee = outcome.employee
            voucher = voucher_issue(
                product=product,
                value_minor=outcome.amount_minor,
                source=source,
                reason_code="benefit.loaded",
                channel=Voucher.Channel.EMPLOYER,
                actor=actor,
                card=employee.card,
                now=now,
            )
            BenefitLoad.objects.create(
                city=city,
                employer=employer,
                employee=employee,
                month=month,
                amount_minor=outcome.amount_minor,
                voucher=voucher,
                run_key=run_key,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            outcome.pending = False
        loaded = [outcome for outcome in plan if outcome.amount_minor]
        if loaded:
            audit_record(
                city=city, actor=actor, action="employer.benefits_loaded", obj=employer,
                data={"month": f"{month:%Y-%m}", "run": run_key, "employees": len(loaded),
                      "total_minor": sum(outcome.amount_minor for outcome in loaded)},
            )  # fmt: skip
    return plan


def payroll_rows(*, employer: Any, month: dt.date) -> list[dict]:
    """Per employee, what was loaded in ``month``: for the payroll (benefit in kind)."""
    rows: dict[int, dict] = {}
    loads = BenefitLoad.objects.filter(employer=employer, month=month).select_related("employee")
    for load in loads.order_by("employee__last_name", "employee__first_name", "pk"):
        row = rows.setdefault(load.employee_id, {"employee": load.employee, "amount": 0})
        row["amount"] += load.amount_minor
    return list(rows.values())


def employee_active_set(*, employee: Employee, is_active: bool, actor: Any) -> Employee:
    """Stop (``is_active=False``) or resume the benefit for one employee, audited."""
    with transaction.atomic():
        Employee.objects.filter(pk=employee.pk).update(is_active=is_active)
        employee.is_active = is_active
        audit_record(
            city=employee.city,
            actor=actor,
            obj=employee,
            action="employer.employee_resumed" if is_active else "employer.employee_paused",
        )
    return employee
