"""Demo data of the city vouchers: products, and a year of vouchers sold at the counter and
spent in parts at the shops, written through ``ledger.services.postings_import``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.ledger.models import Account, AccountKind
from marktplatz.ledger.services import Leg, Posting, postings_import
from marktplatz.merchants.models import Merchant
from marktplatz.vouchers import services
from marktplatz.vouchers.codes import new_voucher_code
from marktplatz.vouchers.models import Voucher, VoucherProduct, VoucherRedemption

# The demo's products have no name of their own: each page names them in its language
# ("City voucher 25,00 €", "Bon de la ville 25,00 €"); a town's operator names its own.
PRODUCTS = (1000, 2500, 5000)
VOUCHERS = 240


def seed(*, city, town, rng, out, **_options) -> None:
    products = [
        VoucherProduct.objects.get_or_create(city=city, name="", kind="fixed", value_minor=value)[0]
        for value in PRODUCTS
    ]
    VoucherProduct.objects.get_or_create(city=city, name="", kind="free")
    if not Voucher.objects.exists():
        _simulate_year(city=city, products=products, rng=rng)
    sample = (
        Voucher.objects.filter(expired=False, card=None, account__balance__gt=0)
        .select_related("account")
        .order_by("pk")
        .first()
    )
    if sample is not None:
        out.append(
            (town.name, "voucher (till)", sample.secret, f"{sample.account.balance} cents left")
        )


def _simulate_year(*, city, products, rng) -> None:
    ledger = services.money_ledger(city=city)
    sales = services.operator_account(city, "voucher-sales")
    merchants = list(Merchant.objects.filter(is_active=True, status="approved").order_by("code"))
    now = timezone.now()
    vouchers: list[Voucher] = []
    for _index in range(VOUCHERS):
        sold_at = now - dt.timedelta(days=rng.uniform(1, 365), hours=rng.uniform(0, 8))
        product = rng.choice(products)
        voucher = Voucher(
            city=city,
            product=product,
            secret=new_voucher_code(),
            value_minor=product.value_minor,
            channel=Voucher.Channel.COUNTER,
            expires_at=services.expiry_for(city=city, sold_at=sold_at),
            created_at=sold_at,
        )
        voucher.account = Account(
            city=city, ledger=ledger, kind=AccountKind.CUSTOMER, reference=f"voucher:{voucher.code}"
        )
        vouchers.append(voucher)
    Account.objects.bulk_create([v.account for v in vouchers], batch_size=500)
    for voucher in vouchers:
        voucher.account_id = voucher.account.pk
    Voucher.objects.bulk_create(vouchers, batch_size=500)
    history_write(
        city=city,
        ledger=ledger,
        issues=[
            (voucher, sales, voucher.value_minor, voucher.created_at, "voucher.sold",
             f"Voucher {voucher.product.display_name} sold")
            for voucher in vouchers
        ],
        merchants=merchants,
        rng=rng,
        parts=(0, 1, 1, 2, 2, 3),
        days=(1, 60),
        whole=0.4,
        spend=("voucher.redeemed", "Voucher at {merchant}"),
    )  # fmt: skip


def history_write(*, city, ledger, issues, merchants, rng, parts, days, whole, spend) -> None:
    """Vouchers issued in the past and spent in parts at random shops afterwards, up to
    now: ``issues`` are (voucher, paid from, amount, when, reason code, reason) each;
    ``parts`` the choice of how many payments, ``days`` the range of days between them,
    ``whole`` the chance a payment takes the rest, ``spend`` (reason code, reason with
    ``{merchant}``). Written through ``postings_import`` with their dates."""
    now = timezone.now()
    payees = {m.pk: services.merchant_voucher_account(merchant=m) for m in merchants}
    plan: list[tuple[Posting, dict | None]] = []
    for voucher, source, amount, when, reason_code, reason in issues:
        plan.append((Posting([Leg(source, voucher.account, amount)], reason_code, reason, when),
                     None))  # fmt: skip
        left = amount
        for _part in range(rng.choice(parts)):
            when += dt.timedelta(days=rng.uniform(*days), hours=rng.uniform(0, 8))
            if when >= now or left < 100:
                break
            paid = left if rng.random() < whole else rng.randrange(100, left + 1)
            merchant = rng.choice(merchants)
            left -= paid
            plan.append(
                (Posting([Leg(voucher.account, payees[merchant.pk], paid)], spend[0],
                         spend[1].format(merchant=merchant.name), when),
                 {"voucher": voucher, "merchant": merchant, "amount_minor": paid})
            )  # fmt: skip
    plan.sort(key=lambda item: item[0].created_at)
    txns = postings_import(ledger=ledger, postings=[posting for posting, _r in plan])
    VoucherRedemption.objects.bulk_create(
        [
            VoucherRedemption(city=city, transaction=txn, created_at=posting.created_at, **data)
            for (posting, data), txn in zip(plan, txns, strict=True)
            if data is not None
        ],
        batch_size=500,
    )
