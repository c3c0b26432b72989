"""The operator's money rules: voucher validity and values, the settlement's fees and the
employer benefit's monthly limit. Percentages are shown as such and stored in basis
points; amounts are typed as 12,50 and stored in minor units."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.money import MoneyField


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
    min_value = MoneyField(label=_("Smallest voucher value"))
    max_value = MoneyField(label=_("Largest voucher value"))
    points_fee_member = PercentField(label=_("Fee on points given out, members (%)"))
    points_fee_other = PercentField(label=_("Fee on points given out, others (%)"))
    voucher_commission_member = PercentField(label=_("Commission on vouchers, members (%)"))
    voucher_commission_other = PercentField(label=_("Commission on vouchers, others (%)"))
    monthly_fee_member = MoneyField(label=_("Monthly fee, members"), zero_ok=True)
    monthly_fee_other = MoneyField(label=_("Monthly fee, others"), zero_ok=True)
    benefit_limit = MoneyField(label=_("Tax-free employer benefit per employee and month"))

    def clean(self):
        data = super().clean()
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("The largest value must not be below the smallest."))
        return data
