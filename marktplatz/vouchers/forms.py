from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.money import parse_money
from marktplatz.vouchers.models import VoucherProduct


class MoneyField(forms.CharField):
    """An amount typed as 12,50 or 12.50, cleaned to cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return parse_money(value) if value else None


class ProductForm(forms.ModelForm):
    value = MoneyField(label=_("Value"), required=False, help_text=_("For a fixed value only."))

    class Meta:
        model = VoucherProduct
        fields = ["name", "kind", "colour", "is_active"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def clean(self):
        data = super().clean()
        if data.get("kind") == VoucherProduct.Kind.FIXED and not data.get("value"):
            self.add_error("value", _("A voucher of fixed value needs its value."))
        if data.get("kind") == VoucherProduct.Kind.FREE:
            data["value"] = None
        return data

    def save(self, commit=True):
        self.instance.value_minor = self.cleaned_data["value"]
        return super().save(commit=commit)


class SaleForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Voucher"), queryset=None)  # set per town below
    value = MoneyField(
        label=_("Value"), required=False, help_text=_("Only for a value of the buyer's choice.")
    )
    buyer_email = forms.EmailField(label=_("Send it to (e-mail, optional)"), required=False)

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = VoucherProduct.objects.filter(
            city=city, is_active=True
        ).order_by("name")


class RedeemForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = MoneyField(label=_("Amount to pay with the voucher"))


class BalanceForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
