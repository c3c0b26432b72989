"""Selling, redeeming and expiring city gift vouchers. Money moves only through the ledger.

Accounts in the town's currency ledger (e.g. EUR):
- ``voucher:<code>``, one per voucher: what the holder can still spend (never negative).
- ``operator:voucher-sales``: the counterpart of every sale; its negative balance is the
  money the operator has taken in for vouchers (liability plus what merchants are owed).
- ``merchant-vouchers:<merchant code>``: what the operator owes a merchant for vouchers it
  took; settlement empties it.
- ``operator:voucher-breakage``: the rest of expired vouchers.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.core.templatetags.marktplatz import money
from marktplatz.ledger.models import Account, AccountKind
from marktplatz.ledger.services import (
    Leg,
    account_open,
    ledger_for,
    lock_for_posting,
    replay,
    transaction_post,
)
from marktplatz.vouchers.codes import new_voucher_code, normalise_code
from marktplatz.vouchers.errors import (
    VoucherBadValue,
    VoucherExpired,
    VoucherInsufficient,
    VoucherNotAccepted,
    VoucherNotFound,
    VoucherOnCard,
)
from marktplatz.vouchers.models import Voucher, VoucherProduct, VoucherRedemption, VoucherRules


def rules_for(*, city: Any) -> VoucherRules:
    return VoucherRules.objects.get_or_create(city_id=city.pk)[0]


def money_ledger(*, city: Any):
    return ledger_for(city=city, asset=city.currency)


def operator_account(city: Any, purpose: str) -> Account:
    kinds = {"voucher-sales": AccountKind.OPERATOR, "voucher-breakage": AccountKind.BREAKAGE}
    return account_open(
        ledger=money_ledger(city=city),
        kind=kinds[purpose],
        reference=f"operator:{purpose}",
        name=purpose,
        allow_negative=purpose == "voucher-sales",
    )


def merchant_voucher_account(*, merchant: Any) -> Account:
    """What the operator owes ``merchant`` for vouchers it has taken."""
    return account_open(
        ledger=money_ledger(city=merchant.city),
        kind=AccountKind.MERCHANT,
        reference=f"merchant-vouchers:{merchant.code}",
        name=merchant.name,
    )


def expiry_for(*, city: Any, sold_at: dt.datetime) -> dt.datetime:
    """The end of the year ``validity_years`` after the sale, in the town's time zone."""
    years = rules_for(city=city).validity_years
    local = sold_at.astimezone(zoneinfo.ZoneInfo(city.time_zone))
    return dt.datetime(local.year + years + 1, 1, 1, tzinfo=local.tzinfo) - dt.timedelta(
        microseconds=1
    )


def check_value(*, product: VoucherProduct, value_minor: int | None) -> int:
    """The value of a voucher of ``product``: the product's, or the buyer's within limits."""
    if product.kind == VoucherProduct.Kind.FIXED:
        return product.value_minor
    rules = rules_for(city=product.city)
    if isinstance(value_minor, bool) or not isinstance(value_minor, int):
        raise VoucherBadValue(_("Enter the voucher's value."))
    if not rules.min_value_minor <= value_minor <= rules.max_value_minor:
        raise VoucherBadValue(
            _("The value must be between %(low)s and %(high)s.")
            % {
                "low": money(rules.min_value_minor, product.city),
                "high": money(rules.max_value_minor, product.city),
            }
        )
    return value_minor


def voucher_sell(
    *,
    product: VoucherProduct,
    value_minor: int | None = None,
    channel: str = Voucher.Channel.COUNTER,
    sold_by: Any = None,
    buyer_email: str = "",
    order: Any = None,
    now: dt.datetime | None = None,
) -> Voucher:
    """Issue a voucher of ``product``; the money is booked as taken in (counter sale, or
    an online order whose payment has arrived)."""
    if not product.is_active or product.kind == VoucherProduct.Kind.BENEFIT:
        raise VoucherBadValue(_("This voucher is not on sale."))
    return voucher_issue(
        product=product,
        value_minor=check_value(product=product, value_minor=value_minor),
        source=operator_account(product.city, "voucher-sales"),
        reason_code="voucher.sold",
        channel=channel,
        actor=sold_by,
        buyer_email=buyer_email,
        order=order,
        now=now,
    )


def voucher_issue(
    *,
    product: VoucherProduct,
    value_minor: int,
    source: Account,
    reason_code: str,
    channel: str,
    actor: Any = None,
    buyer_email: str = "",
    order: Any = None,
    card: Any = None,
    now: dt.datetime | None = None,
) -> Voucher:
    """A new voucher worth ``value_minor``, paid from ``source`` (money taken in, or an
    employer's account), with its own account and its audit record."""
    city = product.city
    now = now or timezone.now()
    ledger = money_ledger(city=city)
    with transaction.atomic():
        voucher = Voucher(
            city=city,
            product=product,
            secret=new_voucher_code(),
            value_minor=value_minor,
            channel=channel,
            buyer_email=buyer_email,
            sold_by=actor if getattr(actor, "is_authenticated", False) else None,
            expires_at=expiry_for(city=city, sold_at=now),
            order=order,
            card=card,
        )
        voucher.account = account_open(
            ledger=ledger, kind=AccountKind.CUSTOMER, reference=f"voucher:{voucher.code}"
        )
        voucher.save()
        transaction_post(
            ledger=ledger,
            legs=[Leg(source, voucher.account, value_minor)],
            reason_code=reason_code,
            reason=_("Voucher %(name)s issued") % {"name": product.display_name},
            actor=actor,
            idempotency_key=f"voucher-sale:{voucher.code}",
        )
        audit_record(
            city=city,
            actor=actor,
            action=reason_code,
            obj=voucher,
            data={"value": value_minor, "channel": channel},
        )
    return voucher


def voucher_lookup(*, city: Any, code: str) -> Voucher:
    """The town's voucher with this printed or scanned code (not: another town's)."""
    secret = normalise_code(code)
    voucher = (
        Voucher.objects.filter(city_id=city.pk, secret=secret).select_related("account").first()
        if secret
        else None
    )
    if voucher is None:
        raise VoucherNotFound()
    return voucher


def balance_of(voucher: Voucher) -> int:
    return Account.objects.get(pk=voucher.account_id).available


def voucher_redeem(
    *,
    city: Any,
    merchant: Any,
    code: str,
    amount_minor: int,
    idempotency_key: str | None,
    actor: Any = None,
    actor_label: str = "",
    now: dt.datetime | None = None,
) -> tuple[VoucherRedemption, bool]:
    """Pay ``amount_minor`` with the voucher at ``merchant``; part of the value may remain.

    Returns (redemption, created); a retry with the same key returns the first one.
    """
    voucher = voucher_lookup(city=city, code=code)
    request = {
        "op": "voucher.redeem",
        "merchant": merchant.code,
        "voucher": voucher.code,
        "amount": amount_minor,
    }
    ledger = money_ledger(city=city)
    if idempotency_key:
        earlier = replay(ledger=ledger, idempotency_key=idempotency_key, request=request)
        if earlier is not None:
            return VoucherRedemption.objects.filter(transaction=earlier).get(), False
    if not merchant.takes_payments:
        raise VoucherNotAccepted()
    if voucher.card_id is not None:
        raise VoucherOnCard()
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise VoucherBadValue(_("The amount must be greater than zero."))
    if voucher.expired or (now or timezone.now()) > voucher.expires_at:
        raise VoucherExpired(
            _("This voucher expired on %(date)s.")
            % {"date": timezone.localtime(voucher.expires_at).strftime("%d.%m.%Y")}
        )
    payee = merchant_voucher_account(merchant=merchant)
    with transaction.atomic():
        # The balance is read under the lock of the voucher's account: two tills at once
        # cannot both spend the rest.
        locked, earlier = lock_for_posting(
            ledger=ledger,
            accounts=[voucher.account, payee],
            idempotency_key=idempotency_key,
            request=request,
        )
        if earlier is not None:
            return VoucherRedemption.objects.filter(transaction=earlier).get(), False
        balance = locked[voucher.account_id].available
        if amount_minor > balance:
            raise VoucherInsufficient(
                _("The voucher only has %(balance)s left.") % {"balance": money(balance, city)},
                balance=balance,
            )
        txn, created = transaction_post(
            ledger=ledger,
            legs=[Leg(voucher.account, payee, amount_minor)],
            reason_code="voucher.redeemed",
            reason=_("Voucher at %(merchant)s") % {"merchant": merchant.name},
            actor=actor,
            actor_label=actor_label,
            idempotency_key=idempotency_key,
            request=request,
            replay_checked=True,
            locked=locked,
        )
        if not created:
            return VoucherRedemption.objects.filter(transaction=txn).get(), False
        redemption = VoucherRedemption.objects.create(
            city=city,
            voucher=voucher,
            merchant=merchant,
            amount_minor=amount_minor,
            transaction=txn,
        )
        redemption.balance_after = txn.balances[voucher.account_id]
    return redemption, True


def vouchers_expire(*, city: Any, now: dt.datetime | None = None) -> int:
    """Move what is left on the town's expired vouchers to breakage. Returns how many."""
    now = now or timezone.now()
    ledger = money_ledger(city=city)
    count = 0
    for voucher in Voucher.objects.filter(city_id=city.pk, expired=False, expires_at__lt=now):
        breakage = operator_account(city, "voucher-breakage")
        with transaction.atomic():
            locked, _earlier = lock_for_posting(
                ledger=ledger, accounts=[voucher.account, breakage], idempotency_key=None,
                request={},
            )  # fmt: skip
            rest = locked[voucher.account_id].available
            if rest > 0:
                transaction_post(
                    ledger=ledger,
                    legs=[Leg(voucher.account, breakage, rest)],
                    reason_code="voucher.expired",
                    reason=_("Voucher expired"),
                    actor_label="system:expiry",
                    idempotency_key=f"voucher-expiry:{voucher.code}",
                    locked=locked,
                )
            Voucher.objects.filter(pk=voucher.pk).update(expired=True)
            count += 1
    return count


def voucher_figures(*, city: Any) -> dict[str, int]:
    """Money taken in for vouchers against what is still owed: holders, merchants, breakage."""
    accounts = Account.objects.filter(ledger=money_ledger(city=city))
    sums = accounts.aggregate(
        outstanding=Sum("balance", filter=Q(reference__startswith="voucher:")),
        owed_to_merchants=Sum("balance", filter=Q(reference__startswith="merchant-vouchers:")),
        sales=Sum("balance", filter=Q(reference="operator:voucher-sales")),
        breakage=Sum("balance", filter=Q(reference="operator:voucher-breakage")),
        employers=Sum("balance", filter=Q(reference__startswith="employer:")),
    )
    figures = {name: value or 0 for name, value in sums.items()}
    figures["taken_in"] = -figures.pop("sales")
    # Employer benefits loaded and not yet paid for: money the employers owe.
    figures["owed_by_employers"] = -figures.pop("employers")
    return figures


def product_create(*, city: Any, product: VoucherProduct, actor: Any) -> VoucherProduct:
    """Put a voucher product (an unsaved instance) on offer, audited."""
    product.city = city
    with transaction.atomic():
        product.save()
        audit_record(
            city=city,
            actor=actor,
            action="voucher_product.created",
            obj=product,
            data={"name": product.name, "value_minor": product.value_minor},
        )
    return product
