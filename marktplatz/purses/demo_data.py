"""Demo data of the card purse: the demo employer with a dozen employees (the demo
citizen among them), half a year of monthly benefits loaded and spent at the shops,
invoices for the months that are over (all paid but the last), a city voucher loaded
onto the citizen's card, a few online voucher orders awaiting payment, and a camt.053
bank statement that pays them, to try the import with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from marktplatz.accounts.models import User
from marktplatz.core.invoices import payment_reference
from marktplatz.core.months import month_before
from marktplatz.ledger.models import Account, AccountKind
from marktplatz.loyalty.models import Card, Member
from marktplatz.merchants.models import Employer, Merchant
from marktplatz.purses import invoicing, services
from marktplatz.purses.models import BenefitLoad, Employee, EmployerInvoice
from marktplatz.settlement.demo_data import ensure_bank_details
from marktplatz.testing.camt import camt053
from marktplatz.vouchers.codes import new_voucher_code
from marktplatz.vouchers.demo_data import history_write
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct
from marktplatz.vouchers.services import expiry_for, money_ledger

EMPLOYEES = 12
MONTHS = 6


def seed(*, city, town, rng, out, **_options) -> None:
    ensure_bank_details(city=city, rng=rng)
    employer = Employer.objects.order_by("name").first()
    if employer is None:
        return
    if not employer.street:
        employer.street, employer.postcode, employer.locality = (
            "Industriestraße 4" if city.country == "DE" else "Industriestrasse 4",
            f"{town.postcode_prefix}10".ljust(4, "0")[:5],
            city.name,
        )
        employer.contact_email = employer.contact_email or f"lohn@{town.slug}.example"
        employer.save()
    citizen = User.objects.filter(email=f"citizen@{town.slug}.example").first()
    if not Employee.objects.filter(employer=employer).exists():
        _employees(city=city, employer=employer, citizen=citizen, rng=rng)
        _months_of_benefits(city=city, employer=employer, rng=rng)
        _invoices(city=city)
        _gift_on_card(city=city, citizen=citizen)
    if not VoucherOrder.objects.exists():
        _orders(city=city, town=town, rng=rng, out=out)


def _employees(*, city, employer, citizen, rng) -> None:
    cards = list(
        Card.objects.filter(status="active", member__user__isnull=False)
        .exclude(member__user=citizen)
        .order_by("pk")[: EMPLOYEES - 1]
    )
    own = Card.objects.filter(member__user=citizen, status="active").first() if citizen else None
    if own is not None:
        cards.insert(0, own)
    for number, card in enumerate(cards, start=1):
        user = card.member.user
        Employee.objects.create(
            city=city,
            employer=employer,
            personnel_number=f"{4700 + number}",
            first_name=user.first_name or "Vorname",
            last_name=user.last_name or "Nachname",
            email=user.email,
            card=card,
            monthly_amount_minor=rng.choice((None, None, 3000, 4000)),
        )


def _month_starts(city) -> list[dt.date]:
    month = services.month_of(city=city)
    months = [month]
    for _back in range(MONTHS - 1):
        month = month_before(month)
        months.append(month)
    return sorted(months)


def _months_of_benefits(*, city, employer, rng) -> None:
    """Loads dated on each month's first working days, and their spending, written
    through ``postings_import`` with the dates they happened on."""
    ledger = money_ledger(city=city)
    source = services.employer_account(employer=employer)
    product = services.benefit_product(city=city)
    limit = services.rules_for(city=city).monthly_limit_minor
    merchants = list(Merchant.objects.filter(is_active=True, status="approved").order_by("code"))
    now = timezone.now()
    employees = list(Employee.objects.filter(employer=employer).select_related("card"))
    vouchers, loads = [], []
    for month in _month_starts(city):
        loaded_at = timezone.make_aware(dt.datetime(month.year, month.month, 2, 9)) + dt.timedelta(
            minutes=rng.randrange(0, 120)
        )
        loaded_at = min(loaded_at, now - dt.timedelta(minutes=5))
        for employee in employees:
            amount = min(employee.monthly_amount_minor or limit, limit)
            voucher = Voucher(
                city=city, product=product, secret=new_voucher_code(), value_minor=amount,
                channel=Voucher.Channel.EMPLOYER, card=employee.card, created_at=loaded_at,
                expires_at=expiry_for(city=city, sold_at=loaded_at),
            )  # fmt: skip
            voucher.account = Account(
                city=city, ledger=ledger, kind=AccountKind.CUSTOMER,
                reference=f"voucher:{voucher.code}",
            )  # fmt: skip
            vouchers.append(voucher)
            loads.append((employee, month, amount, voucher, loaded_at))
    Account.objects.bulk_create([v.account for v in vouchers], batch_size=500)
    for voucher in vouchers:
        voucher.account_id = voucher.account.pk
    Voucher.objects.bulk_create(vouchers, batch_size=500)
    BenefitLoad.objects.bulk_create(
        [
            BenefitLoad(city=city, employer=employer, employee=employee, month=month,
                        amount_minor=amount, voucher=voucher, run_key=f"demo-{month:%Y-%m}",
                        created_at=when)
            for employee, month, amount, voucher, when in loads
        ]
    )  # fmt: skip
    history_write(
        city=city,
        ledger=ledger,
        issues=[
            (voucher, source, amount, when, "benefit.loaded", "Employer benefit loaded")
            for _employee, _month, amount, voucher, when in loads
        ],
        merchants=merchants,
        rng=rng,
        parts=(1, 2, 2, 3),
        days=(1, 12),
        whole=0.3,
        spend=("purse.paid", "City card at {merchant}"),
    )


def _invoices(*, city) -> None:
    months = _month_starts(city)[:-1]  # the current month is not over
    for month in months:
        invoicing.employer_invoices_issue(city=city, month=month)
    for invoice in EmployerInvoice.objects.filter(month__in=months[:-1]).order_by("month"):
        invoicing.employer_invoice_paid(
            invoice=invoice, amount_minor=invoice.total_minor, note="Demo: paid by transfer"
        )


def _gift_on_card(*, city, citizen) -> None:
    member = Member.objects.filter(user=citizen).first() if citizen else None
    card = member.cards.filter(status="active").first() if member else None
    gift = (
        Voucher.objects.filter(card=None, expired=False, account__balance__gt=0)
        .exclude(channel=Voucher.Channel.EMPLOYER)
        .order_by("pk")
        .last()
    )
    if card is not None and gift is not None:
        services.voucher_load_onto_card(city=city, card=card, code=gift.secret, actor=None)


def _orders(*, city, town, rng, out) -> None:
    product = (
        VoucherProduct.objects.filter(kind=VoucherProduct.Kind.FIXED, is_active=True)
        .order_by("value_minor")
        .last()
    )
    if product is None or not city.bank_iban:
        return
    credits = []
    for number, (name, quantity) in enumerate(
        (("Erika Muster", 2), ("Jonas Beispiel", 1), ("Mia Probe", 3)), start=1
    ):
        order = VoucherOrder.objects.create(
            city=city, number=number, reference=payment_reference(number=number,
                                                                    iban=city.bank_iban),
            provider="transfer", product=product, value_minor=product.value_minor,
            quantity=quantity, total_minor=product.value_minor * quantity, buyer_name=name,
            buyer_email=f"{name.split()[0].lower()}@example.org", buyer_country=city.country,
        )  # fmt: skip
        if number < 3:  # the third one is still unpaid after the statement
            credits.append({"amount": order.total_minor, "reference": order.reference,
                            "payer": name})  # fmt: skip
    open_invoice = EmployerInvoice.objects.filter(status="open").first()
    if open_invoice is not None:
        credits.append({"amount": open_invoice.total_minor, "reference": open_invoice.reference,
                        "payer": open_invoice.employer.name})  # fmt: skip
    credits.append({"amount": 12000, "text": "Miete Lager Oktober", "payer": "Unbekannt"})
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"camt053-{town.slug}.xml"
    path.write_bytes(camt053(credits, iban=city.bank_iban, currency=city.currency))
    out.append((town.name, "bank statement (camt.053)", str(path), "import at /operator/bank/"))
