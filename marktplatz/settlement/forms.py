"""The operator's money rules: voucher validity and values, the settlement's fees and the
employer benefit's monthly limit. Percentages are shown as such and stored in basis
points; amounts are typed as 12,50 and stored in minor units."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.money import parse_money


class AmountField(forms.CharField):
    """An amount such as 12,50; ``zero_ok`` lets 0 through (a fee that is not charged)."""

    def __init__(self, *, zero_ok: bool = False, **kwargs):
        self.zero_ok = zero_ok
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return f"{value / 100:.2f}".replace(".", ",") if isinstance(value, int) else value

    def clean(self, value):
        value = super().clean(value)
        if self.zero_ok and value.strip() in ("0", "0,00", "0.00", "0,0", "0.0"):
            return 0
        return parse_money(value)


class PercentField(forms.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(
            min_value=Decimal(0), max_value=Decimal(100), max_digits=5, decimal_places=2, **kwargs
        )
        self.localize = True
        self.widget.is_localized = True


class MoneyRulesForm(forms.Form):
    validity_years = forms.IntegerField(
        label=_("Vouchers are valid for (years, to the end of the year)"), min_value=1, max_value=30
    )
    min_value = AmountField(label=_("Smallest voucher value"))
    max_value = AmountField(label=_("Largest voucher value"))
    points_fee_member = PercentField(label=_("Fee on points given out, members (%)"))
    points_fee_other = PercentField(label=_("Fee on points given out, others (%)"))
    voucher_commission_member = PercentField(label=_("Commission on vouchers, members (%)"))
    voucher_commission_other = PercentField(label=_("Commission on vouchers, others (%)"))
    monthly_fee_member = AmountField(label=_("Monthly fee, members"), zero_ok=True)
    monthly_fee_other = AmountField(label=_("Monthly fee, others"), zero_ok=True)
    benefit_limit = AmountField(label=_("Tax-free employer benefit per employee and month"))

    def clean(self):
        data = super().clean()
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("The largest value must not be below the smallest."))
        return data
