"""Bank details: IBAN and BIC checked with schwifty, the SEPA creditor identifier by its
check digits (ISO 7064 mod 97-10, as the European Payments Council describes it)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def compact_iban(value: str) -> str:
    """The IBAN without spaces, upper case; ValidationError if it is not a valid IBAN."""
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise ValidationError(_("This is not a valid IBAN."), code="iban") from None


def validate_iban(value: str) -> None:
    compact_iban(value)


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException:
        raise ValidationError(_("This is not a valid BIC."), code="bic") from None


def validate_creditor_id(value: str) -> None:
    """E.g. DE98ZZZ09999999999: country, check digits, business code, national part."""
    text = value.replace(" ", "").upper()
    if len(text) < 8 or not text[:2].isalpha() or not text[2:4].isdigit() or not text.isalnum():
        raise ValidationError(_("This is not a valid SEPA creditor identifier."), code="ci")
    digits = "".join(str(int(char, 36)) for char in text[7:] + text[:2]) + "00"
    if 98 - int(digits) % 97 != int(text[2:4]):
        raise ValidationError(_("This is not a valid SEPA creditor identifier."), code="ci")


class BankDetailsFormMixin:
    """For a ModelForm with an IBAN field (``iban_field``): store it compact, BIC upper."""

    iban_field = "iban"
    bic_field = "bic"

    def clean(self):
        data = super().clean()
        if data.get(self.iban_field):
            data[self.iban_field] = compact_iban(data[self.iban_field])
        if data.get(self.bic_field):
            data[self.bic_field] = data[self.bic_field].replace(" ", "").upper()
        return data
