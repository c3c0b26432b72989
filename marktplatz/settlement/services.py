"""The monthly settlement with each merchant, through the settlement accounts of the
town's currency ledger.

Per merchant and month one ledger transaction holds every line of the statement:

- ``voucher.settled``: vouchers the merchant took, ``merchant-vouchers:<m> → settlement:<m>``
- ``fee.voucher_commission``: the commission on them, ``settlement:<m> → operator:fees``
- ``points.redeemed_value``: points customers paid with, ``operator:points-clearing →
  settlement:<m>``
- ``points.issued_value``: points the merchant gave out, ``settlement:<m> →
  operator:points-clearing``, and ``fee.points`` on them, ``settlement:<m> → operator:fees``
- ``rewards.fulfilled_value``: rewards the merchant handed out for points, at the points'
  value, ``operator:points-clearing → settlement:<m>``
- ``fee.monthly``: ``settlement:<m> → operator:fees``

The balance of ``settlement:<m>`` moves by the statement's net amount: positive, the
operator pays it out; negative, it is collected. A statement is written once per merchant
and month (a unique constraint and the transaction's idempotency key), and whatever is
booked later lands in a later month.

A month is settled by one run (``SettlementRun``, unique per town and month), confirmed by
the operator after a preview, audited in the same transaction. Only months that are over
and not before the town started: the town starts in the month it was created, or of its
first booking if that is earlier (history brought over from before it joined).
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marktplatz.audit.services import audit_record
from marktplatz.core.sqlops import new_ids, rows_insert
from marktplatz.ledger.errors import LedgerError
from marktplatz.ledger.models import Account, AccountKind, Transaction, Transfer
from marktplatz.ledger.services import Leg, Posting, account_open, accounts_open, postings_import
from marktplatz.loyalty.models import Booking, BookingKind, RewardClaim
from marktplatz.loyalty.services import redemption_value_minor
from marktplatz.merchants.models import Merchant
from marktplatz.settlement.models import SettlementRules, SettlementRun, Statement
from marktplatz.vouchers.models import VoucherRedemption
from marktplatz.vouchers.services import money_ledger, voucher_figures

LINES = (
    "voucher.settled",
    "fee.voucher_commission",
    "points.redeemed_value",
    "points.issued_value",
    "fee.points",
    "rewards.fulfilled_value",
    "fee.monthly",
)


class SettlementTooEarly(LedgerError):
    code = "settlement_too_early"
    status = 409
    default_message = gettext_lazy("A month can be settled once it is over.")


def rules_for(*, city: Any) -> SettlementRules:
    return SettlementRules.objects.get_or_create(city_id=city.pk)[0]


def period_bounds(*, city: Any, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` and of the next, in the town's time zone."""
    zone = zoneinfo.ZoneInfo(city.time_zone)
    start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return start, following


def _account(city: Any, reference: str, kind: str, allow_negative: bool) -> Account:
    return account_open(
        ledger=money_ledger(city=city),
        kind=kind,
        reference=reference,
        allow_negative=allow_negative,
    )


def settlement_account(*, merchant: Any) -> Account:
    return _account(
        merchant.city, f"settlement:{merchant.code}", AccountKind.SETTLEMENT, allow_negative=True
    )


def _basis_points(amount: int, bp: int) -> int:
    """``amount`` × ``bp`` / 10,000, rounded half up (cents)."""
    return (amount * bp + 5000) // 10000


def month_activity(*, city: Any, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    """Per merchant: points issued and redeemed (net of refunds and cancellations), voucher
    payments taken, rewards handed out. A few grouped queries for all merchants."""
    activity: dict[int, dict] = defaultdict(
        lambda: {"points_issued": 0, "points_redeemed": 0, "vouchers": 0, "voucher_count": 0,
                 "rewards": 0, "reward_points": 0, "purchases": 0}
    )  # fmt: skip
    month = Booking.objects.filter(
        city_id=city.pk, created_at__gte=start, created_at__lt=end, merchant__isnull=False
    )
    for row in (
        month.filter(kind__in=[BookingKind.EARN, BookingKind.REDEEM])
        .values("merchant_id", "kind")
        .annotate(points=Sum("points"), count=Count("id"))
    ):
        figures = activity[row["merchant_id"]]
        if row["kind"] == BookingKind.EARN:
            figures["points_issued"] += row["points"]
            figures["purchases"] += row["count"]
        else:
            figures["points_redeemed"] += row["points"]
    # Corrections are few: only they are joined to the booking they correct.
    for row in (
        month.filter(kind__in=[BookingKind.REFUND, BookingKind.CANCEL])
        .values("merchant_id", "original__kind")
        .annotate(points=Sum("points"))
    ):
        key = "points_issued" if row["original__kind"] == BookingKind.EARN else "points_redeemed"
        activity[row["merchant_id"]][key] -= row["points"]
    vouchers = (
        VoucherRedemption.objects.filter(city_id=city.pk, created_at__gte=start, created_at__lt=end)
        .values("merchant_id")
        .annotate(amount=Sum("amount_minor"), count=Count("id"))
    )
    for row in vouchers:
        activity[row["merchant_id"]]["vouchers"] = row["amount"]
        activity[row["merchant_id"]]["voucher_count"] = row["count"]
    rewards = (
        RewardClaim.objects.filter(city_id=city.pk, fulfilled_at__gte=start, fulfilled_at__lt=end)
        .exclude(reward__merchant=None)
        .values(merchant_id=F("reward__merchant_id"))
        .annotate(count=Count("id"), points=Sum("booking__points"))
    )
    for row in rewards:
        activity[row["merchant_id"]]["rewards"] = row["count"]
        activity[row["merchant_id"]]["reward_points"] = abs(row["points"] or 0)
    return activity


# A month is settled this long after its end at the earliest: every booking dated in the
# month has committed by then, so none can slip past its statement.
GRACE = dt.timedelta(hours=1)


def _amounts(rules: SettlementRules, city: Any, merchant: Any, figures: dict) -> dict[str, int]:
    member = merchant.association_member
    vouchers = figures["vouchers"]
    issued = redemption_value_minor(city=city, points=max(0, figures["points_issued"]))
    return {
        "voucher.settled": vouchers,
        "fee.voucher_commission": _basis_points(
            vouchers,
            rules.voucher_commission_bp_member if member else rules.voucher_commission_bp_other,
        ),
        "points.redeemed_value": redemption_value_minor(
            city=city, points=max(0, figures["points_redeemed"])
        ),
        "points.issued_value": issued,
        "fee.points": _basis_points(
            issued, rules.points_fee_bp_member if member else rules.points_fee_bp_other
        ),
        "rewards.fulfilled_value": redemption_value_minor(
            city=city, points=figures.get("reward_points", 0)
        ),
        "fee.monthly": rules.monthly_fee_member if member else rules.monthly_fee_other,
    }


# Lines the merchant is credited with; the others it is charged.
CREDITS = {"voucher.settled", "points.redeemed_value", "rewards.fulfilled_value"}

# Payouts are executed the next working day; direct debits are collected this many days
# after the run: the SEPA rulebook's pre-notification time, the invoice being the notice.
COLLECTION_DAYS = 14


class SettlementBeforeStart(LedgerError):
    code = "settlement_before_start"
    status = 409
    default_message = gettext_lazy("The town started later: there is nothing to settle.")


class MonthSettled(LedgerError):
    code = "month_settled"
    status = 409
    default_message = gettext_lazy("This month is settled already.")


def town_first_month(*, city: Any) -> dt.date:
    """The first month a town settles: the month it was created in, or of its first
    booking if that is earlier (history brought over from before it joined Marktplatz)."""
    first = Transaction.objects.filter(city_id=city.pk).aggregate(first=Min("created_at"))
    start = min(filter(None, [city.created_at, first["first"]]), default=timezone.now())
    local = start.astimezone(zoneinfo.ZoneInfo(city.time_zone))
    return dt.date(local.year, local.month, 1)


def _month_after(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_open(*, city: Any, now: dt.datetime | None = None) -> list[dt.date]:
    """Months that can be settled now: since the town started, over, not yet settled
    (oldest first)."""
    now = now or timezone.now()
    settled = set(SettlementRun.objects.filter(city_id=city.pk).values_list("month", flat=True))
    months, month = [], town_first_month(city=city)
    while period_bounds(city=city, month=month)[1] + GRACE <= now:
        if month not in settled:
            months.append(month)
        month = _month_after(month)
    return months


def settlement_check(*, city: Any, month: dt.date, now: dt.datetime | None = None) -> dt.date:
    """``month`` (its first day) if it can be settled; else the refusal, in words."""
    month = month.replace(day=1)
    _start, end = period_bounds(city=city, month=month)
    if (now or timezone.now()) < end + GRACE:
        raise SettlementTooEarly()
    first = town_first_month(city=city)
    if month < first:
        raise SettlementBeforeStart(
            _("The town started in %(month)s: earlier months cannot be settled.")
            % {"month": f"{first:%m/%Y}"}
        )
    if SettlementRun.objects.filter(city_id=city.pk, month=month).exists():
        raise MonthSettled()
    return month


@dataclass
class StatementDraft:
    """What the month's statement of one business will say."""

    merchant: Any
    amounts: dict[str, int]
    figures: dict

    @property
    def net_minor(self) -> int:
        return sum(amount if line in CREDITS else -amount for line, amount in self.amounts.items())


def settlement_preview(
    *, city: Any, month: dt.date, now: dt.datetime | None = None
) -> list[StatementDraft]:
    """The statements ``settle_month`` would write now, per business (nothing written).
    Raises the refusal when the month cannot be settled."""
    month = settlement_check(city=city, month=month, now=now)
    start, end = period_bounds(city=city, month=month)
    rules = rules_for(city=city)
    activity = month_activity(city=city, start=start, end=end)
    done = set(Statement.objects.filter(period_start=month).values_list("merchant_id", flat=True))
    merchants = (
        Merchant.objects.filter(Q(status="approved") | Q(pk__in=list(activity)), city_id=city.pk)
        .exclude(pk__in=done)
        .order_by("pk")
    )
    return [
        StatementDraft(merchant, _amounts(rules, city, merchant, activity[merchant.pk]),
                       dict(activity[merchant.pk]))
        for merchant in merchants
    ]  # fmt: skip


def _working_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _settle(*, city: Any, month: dt.date, actor: Any, now: dt.datetime | None) -> list[Statement]:
    """``settle_month``'s work, inside its transaction and lock."""
    drafts = settlement_preview(city=city, month=month, now=now)
    merchants = [draft.merchant for draft in drafts]
    ledger = money_ledger(city=city)
    own_of = accounts_open(
        ledger=ledger,
        kind=AccountKind.SETTLEMENT,
        references={f"settlement:{m.code}": m.name for m in merchants},
        allow_negative=True,
    )
    payee_of = accounts_open(
        ledger=ledger,
        kind=AccountKind.MERCHANT,
        references={f"merchant-vouchers:{m.code}": m.name for m in merchants},
    )
    fees = _account(city, "operator:fees", AccountKind.OPERATOR, allow_negative=False)
    clearing = _account(city, "operator:points-clearing", AccountKind.OPERATOR, allow_negative=True)
    person = getattr(actor, "is_authenticated", False)
    label = f"user:{actor.email}" if person else "system:settlement"
    postings: list[Posting] = []
    statements: list[tuple[Statement, int | None]] = []
    for draft in drafts:
        merchant, amounts = draft.merchant, draft.amounts
        own = own_of[f"settlement:{merchant.code}"]
        routes = {
            "voucher.settled": (payee_of[f"merchant-vouchers:{merchant.code}"], own),
            "fee.voucher_commission": (own, fees),
            "points.redeemed_value": (clearing, own),
            "points.issued_value": (own, clearing),
            "fee.points": (own, fees),
            "rewards.fulfilled_value": (clearing, own),
            "fee.monthly": (own, fees),
        }
        legs = [Leg(*routes[line], amounts[line], line) for line in LINES if amounts[line] > 0]
        statement = Statement(
            city=city,
            merchant=merchant,
            period_start=month,
            net_minor=sum(leg.amount if leg.credit is own else -leg.amount for leg in legs),
            activity=draft.figures,
        )
        if legs:
            postings.append(
                Posting(
                    legs,
                    "settlement",
                    _("Statement %(month)s for %(merchant)s")
                    % {"month": f"{month:%m/%Y}", "merchant": merchant.name},
                    actor_label=label,
                    idempotency_key=f"settlement:{merchant.code}:{month:%Y-%m}",
                )
            )
        statements.append((statement, len(postings) - 1 if legs else None))
    written = [statement for statement, _index in statements]
    today = timezone.localdate(now or timezone.now(), zoneinfo.ZoneInfo(city.time_zone))
    try:
        with transaction.atomic():
            run = SettlementRun.objects.create(
                city=city,
                month=month,
                statements=len(written),
                payout_minor=sum(s.net_minor for s in written if s.net_minor > 0),
                collect_minor=-sum(s.net_minor for s in written if s.net_minor < 0),
                execution_date=_working_day(today + dt.timedelta(days=1)),
                collection_date=_working_day(today + dt.timedelta(days=COLLECTION_DAYS)),
                created_by=actor if person else None,
            )
    except IntegrityError:
        # Another run of the month committed first (the run's unique constraint).
        raise MonthSettled() from None
    txns = postings_import(ledger=ledger, postings=postings) if postings else []
    for statement, index in statements:
        statement.transaction = txns[index] if index is not None else None
    for pk, statement in zip(new_ids(Statement, len(written)), written, strict=True):
        statement.pk = pk
        statement._state.adding = False
    rows_insert(
        Statement,
        ("id", "code", "city_id", "merchant_id", "period_start", "transaction_id",
         "net_minor", "activity", "created_at"),
        [
            (s.pk, s.code, s.city_id, s.merchant_id, s.period_start, s.transaction_id,
             s.net_minor, json.dumps(s.activity), s.created_at)
            for s in written
        ],
    )  # fmt: skip
    audit_record(
        city=city, actor=actor, action="settlement.month_settled", obj=run,
        data={"month": f"{month:%Y-%m}", "statements": run.statements,
              "payout_minor": run.payout_minor, "collect_minor": run.collect_minor,
              "collection_date": run.collection_date.isoformat()},
    )  # fmt: skip
    return written


def settle_month(
    *, city: Any, month: dt.date, actor: Any = None, now: dt.datetime | None = None
) -> list[Statement]:
    """Write the statements of ``month`` for every approved merchant, once: a month is
    settled by one run (``SettlementRun``, unique per town and month), only when it is
    over and not before the town started (see ``settlement_check``).

    Bookings and voucher payments count in the month they are dated; anything booked
    later (a refund, a correction) is dated later and lands in a later statement. All
    statements of a run are posted together (``postings_import``) with the run and its
    audit record: all or none. Two runs at once: the second gets ``MonthSettled``.
    """
    month = month.replace(day=1)
    rules_for(city=city)  # the row the lock below takes
    with transaction.atomic():
        # One run per town at a time: the next waits here, then finds the month settled.
        SettlementRules.objects.select_for_update().filter(city_id=city.pk).first()
        written = _settle(city=city, month=month, actor=actor, now=now)
    return written


def statement_lines(statement: Statement) -> list[dict]:
    """The statement's lines: its transfers, signed from the merchant's point of view."""
    if statement.transaction_id is None:
        return []
    own = settlement_account(merchant=statement.merchant)
    lines = []
    for transfer in Transfer.objects.filter(transaction_id=statement.transaction_id).order_by("pk"):
        sign = 1 if transfer.credit_account_id == own.pk else -1
        lines.append(
            {
                "code": transfer.reason_code,
                "amount": sign * transfer.amount,
                "transfer": transfer.code,
            }
        )
    return lines


def statement_items(statement: Statement) -> dict[str, Any]:
    """The drill-down: every booking and voucher payment behind the statement's month."""
    start, end = period_bounds(city=statement.city, month=statement.period_start)
    return {
        "bookings": Booking.objects.filter(
            merchant=statement.merchant, created_at__gte=start, created_at__lt=end
        )
        .select_related("transaction", "card")
        .order_by("created_at", "pk"),
        "vouchers": VoucherRedemption.objects.filter(
            merchant=statement.merchant, created_at__gte=start, created_at__lt=end
        )
        .select_related("transaction", "voucher")
        .order_by("created_at", "pk"),
    }


def statements_verify(*, city: Any) -> list[str]:
    """Every statement's net amount equals the sum of its transfers (empty list: all do)."""
    problems = []
    for statement in Statement.objects.filter(city_id=city.pk).select_related("merchant"):
        actual = sum(line["amount"] for line in statement_lines(statement))
        if actual != statement.net_minor:
            problems.append(
                f"statement {statement.code} ({statement.merchant.name}, "
                f"{statement.period_start:%Y-%m}): {statement.net_minor} != transfers {actual}"
            )
    return problems


def money_check(*, city: Any) -> list[str]:
    """What the daily reconciliation reports (empty list: all well).

    Voucher liability is what holders can still spend plus what businesses are owed for
    vouchers they took (not yet settled, or settled and not yet paid out); the money held
    for it is what vouchers were sold for, less the rest of expired vouchers the operator
    has kept, plus what employers owe for benefits they loaded (invoiced monthly).
    Liability above that means money is missing.
    """
    figures = voucher_figures(city=city)
    settled = (
        Transfer.objects.filter(
            ledger=money_ledger(city=city), reason_code="voucher.settled"
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    liability = figures["outstanding"] + figures["owed_to_merchants"] + settled
    held = figures["taken_in"] - figures["breakage"] + figures["owed_by_employers"]
    problems = statements_verify(city=city)
    if liability > held:
        problems.append(f"voucher liability {liability} exceeds money held {held}")
    return problems


def money_rules_set(*, city: Any, actor: Any, values: dict[str, Any]) -> None:
    """Change the town's money rules in one transaction with one audit record.

    ``values``: validity_years, min_value, max_value (vouchers, minor units),
    monthly_fee_member, monthly_fee_other and the fee and commission fields of
    SettlementRules in basis points, benefit_limit (employee benefit, minor units)."""
    from marktplatz.audit.services import audit_record
    from marktplatz.purses import services as purse_services
    from marktplatz.vouchers import services as voucher_services

    voucher_fields = {
        "validity_years": "validity_years",
        "min_value": "min_value_minor",
        "max_value": "max_value_minor",
    }
    with transaction.atomic():
        voucher_rules = voucher_services.rules_for(city=city)
        for key, field in voucher_fields.items():
            setattr(voucher_rules, field, values[key])
        voucher_rules.save()
        fees = rules_for(city=city)
        for key, value in values.items():
            if key not in voucher_fields and key != "benefit_limit":
                setattr(fees, key, value)
        fees.save()
        benefit = purse_services.rules_for(city=city)
        benefit.monthly_limit_minor = values["benefit_limit"]
        benefit.save()
        audit_record(
            city=city,
            actor=actor,
            action="money_rules.changed",
            obj=fees,
            data={key: str(value) for key, value in values.items()},
        )
