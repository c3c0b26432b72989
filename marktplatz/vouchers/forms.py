from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.money import MoneyField
from marktplatz.vouchers.models import VoucherProduct


def sale_products(*, city):
    return (
        VoucherProduct.objects.filter(city=city, is_active=True)
        .exclude(kind=VoucherProduct.Kind.BENEFIT)
        .order_by("name")
    )


class ProductForm(forms.ModelForm):
    value = MoneyField(label=_("Value"), required=False, help_text=_("For a fixed value only."))

    class Meta:
        model = VoucherProduct
        fields = ["name", "kind", "colour", "is_active"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            choice for choice in VoucherProduct.Kind.choices if choice[0] != "benefit"
        ]

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
        self.fields["product"].queryset = sale_products(city=city)


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


class OrderForm(forms.Form):
    """The online purchase: which voucher, how many, who pays, how."""

    product = forms.ModelChoiceField(label=_("Voucher"), queryset=None, empty_label=None)
    value = MoneyField(
        label=_("Value"), required=False, help_text=_("Only for a value of your choice.")
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=20, initial=1)
    buyer_name = forms.CharField(label=_("Name"), max_length=70)
    buyer_email = forms.EmailField(label=_("E-mail"))
    buyer_street = forms.CharField(label=_("Street and number"), max_length=70, required=False)
    buyer_postcode = forms.CharField(label=_("Postcode"), max_length=16, required=False)
    buyer_town = forms.CharField(label=_("Town"), max_length=35, required=False)
    provider = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)

    def __init__(self, *args, city, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = sale_products(city=city)
        self.fields["provider"].choices = [(p.key, p.label) for p in providers]
        if providers:
            self.fields["provider"].initial = providers[0].key


class PaidForm(forms.Form):
    amount = MoneyField(label=_("Amount received"))
