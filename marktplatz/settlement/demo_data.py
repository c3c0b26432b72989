"""Demo data of the settlement: bank details for the town and its businesses, and every
month of the demo year settled, so that statements and payment files can be opened."""

from __future__ import annotations

from schwifty import IBAN

from marktplatz.merchants.models import Merchant
from marktplatz.settlement.services import months_open, settle_month

BANKS = {"DE": ("37040044", "COBADEFFXXX", 10), "CH": ("00762", "UBSWCHZH80A", 12)}


def seed(*, city, town, rng, out, **_options) -> None:
    ensure_bank_details(city=city, rng=rng)
    # The demo year's months that are over (since the town's first booking), once.
    for month in months_open(city=city)[-12:]:
        settle_month(city=city, month=month)


def ensure_bank_details(*, city, rng) -> None:
    """The town's account and address, and every business's account (idempotent)."""
    bank, bic, digits = BANKS[city.country]
    if not city.bank_iban:
        city.bank_account_holder = f"Stadtmarketing {city.name}"
        city.bank_iban = IBAN.generate(
            city.country, bank_code=bank, account_code="1" * digits
        ).compact
        city.bank_bic = bic
        city.sepa_creditor_id = "DE98ZZZ09999999999" if city.country == "DE" else ""
        city.postal_street = "Marktplatz 1"
        city.postal_code = "79600" if city.country == "DE" else "6300"
        city.postal_town = city.name
        city.save()
    if not city.registration_id:
        # Names the operator on e-invoices (EN 16931 BR-CO-26).
        city.registration_id = (
            "HRB 701234, Amtsgericht Freiburg" if city.country == "DE" else "CHE-116.281.710"
        )
        city.save(update_fields=["registration_id"])
    for merchant in Merchant.objects.filter(iban="").order_by("pk"):
        number = str(rng.randrange(10 ** (digits - 1), 10**digits))
        merchant.iban = IBAN.generate(city.country, bank_code=bank, account_code=number).compact
        merchant.account_holder = merchant.name
        merchant.association_member = rng.random() < 0.5
        merchant.save(update_fields=["iban", "account_holder", "association_member"])
