from __future__ import annotations

import uuid

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marktplatz.core.images import image_clean
from marktplatz.core.money import MoneyField
from marktplatz.orders.models import MAX_QUANTITY, Order, OrderSettings, Product

DATETIME_LOCAL = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
}


class ProductForm(forms.ModelForm):
    price = MoneyField(label=gettext_lazy("price"))
    image = forms.FileField(
        label=gettext_lazy("picture"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text=gettext_lazy("JPEG, PNG, WebP or GIF; scaled down, without its metadata."),
    )

    class Meta:
        model = Product
        fields = ["name", "description", "image", "image_alt", "is_listed", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("price", self.instance.price_minor)
        self.fields["position"].help_text = _("Smaller numbers come first.")

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if not isinstance(upload, UploadedFile):
            return upload
        return image_clean(upload, max_side=1200, name="product")

    def clean(self):
        data = super().clean()
        if data.get("price") is not None:
            if data["price"] <= 0:
                self.add_error("price", _("The price must be greater than zero."))
            self.instance.price_minor = data["price"]
        if data.get("image") and not data.get("image_alt", "").strip():
            self.add_error("image_alt", _("Describe the picture for people who cannot see it."))
        return data


class OrderSettingsForm(forms.ModelForm):
    delivery_fee = MoneyField(label=gettext_lazy("delivery fee"), zero_ok=True, required=False)
    delivery_minimum = MoneyField(
        label=gettext_lazy("minimum order for delivery"), zero_ok=True, required=False
    )

    class Meta:
        model = OrderSettings
        fields = [
            "takes_orders",
            "pickup",
            "slot_minutes",
            "orders_per_slot",
            "lead_minutes",
            "days_ahead",
            "delivery",
            "delivery_postcodes",
            "delivery_radius_m",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("delivery_fee", self.instance.delivery_fee_minor)
        self.initial.setdefault("delivery_minimum", self.instance.delivery_minimum_minor)
        self.fields["days_ahead"].widget.attrs.update(min=1, max=14)
        self.fields["lead_minutes"].widget.attrs.update(max=1440)

    def clean_days_ahead(self):
        days = self.cleaned_data["days_ahead"]
        if not 1 <= days <= 14:
            raise forms.ValidationError(_("Between 1 and 14 days."))
        return days

    def clean_lead_minutes(self):
        minutes = self.cleaned_data["lead_minutes"]
        if minutes > 1440:
            raise forms.ValidationError(_("At most 1,440 minutes (a day)."))
        return minutes

    def clean_delivery_postcodes(self):
        codes = self.cleaned_data["delivery_postcodes"].replace(",", " ").split()
        for code in codes:
            if not code.isalnum() or len(code) > 10:
                raise forms.ValidationError(
                    _("“%(code)s” is not a postcode.") % {"code": code[:20]}
                )
        return ", ".join(dict.fromkeys(codes))

    def clean(self):
        data = super().clean()
        if data.get("delivery") and not (
            data.get("delivery_postcodes") or data.get("delivery_radius_m")
        ):
            self.add_error(
                "delivery_postcodes",
                _("Name the postcodes you deliver to, or a radius around your address."),
            )
        if data.get("delivery_radius_m") and self.instance.merchant.latitude is None:
            self.add_error(
                "delivery_radius_m",
                _("A radius needs your business's location: set it in the profile first."),
            )
        if data.get("takes_orders") and not (data.get("pickup") or data.get("delivery")):
            self.add_error("pickup", _("Offer pickup, delivery or both."))
        return data

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["delivery_fee_minor"] = self.cleaned_data.get("delivery_fee") or 0
        values["delivery_minimum_minor"] = self.cleaned_data.get("delivery_minimum") or 0
        return values


class OrderForm(forms.Form):
    """One field per product (``qty_<code>``), the fulfilment and its details."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    fulfilment = forms.ChoiceField(
        label=gettext_lazy("How would you like to get it?"),
        choices=Order.Fulfilment.choices,
        widget=forms.RadioSelect,
    )
    pickup_at = forms.ChoiceField(label=gettext_lazy("Pickup time"), required=False)
    note = forms.CharField(
        label=gettext_lazy("Your order in your own words, or wishes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=120)
    street = forms.CharField(
        label=gettext_lazy("Street and number"), required=False, max_length=120
    )
    postcode = forms.CharField(label=gettext_lazy("Postcode"), required=False, max_length=10)
    locality = forms.CharField(label=gettext_lazy("Town"), required=False, max_length=80)
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=40)
    latitude = forms.DecimalField(
        label=gettext_lazy("Latitude"), required=False, min_value=-90, max_value=90,
        decimal_places=6, max_digits=9,
    )  # fmt: skip
    longitude = forms.DecimalField(
        label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180,
        decimal_places=6, max_digits=9,
    )  # fmt: skip

    def __init__(self, *args, products=(), slots=(), rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        self.initial.setdefault("key", uuid.uuid4().hex)
        for product in self.products:
            self.fields[f"qty_{product.code}"] = forms.IntegerField(
                label=product.name,
                required=False,
                min_value=0,
                max_value=MAX_QUANTITY,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )
        self.slots = {slot.value: slot for slot in slots}
        self.fields["pickup_at"].choices = [("", _("Choose a time"))] + [
            (slot.value, slot.start) for slot in slots
        ]
        choices = []
        if rules is not None and rules.pickup:
            choices.append(Order.Fulfilment.choices[0])
        if rules is not None and rules.delivery:
            choices.append(Order.Fulfilment.choices[1])
        self.fields["fulfilment"].choices = choices
        if len(choices) == 1:
            self.initial.setdefault("fulfilment", choices[0][0])

    def quantity_fields(self):
        return [(product, self[f"qty_{product.code}"]) for product in self.products]

    def quantities(self) -> dict[str, int]:
        return {
            product.code: self.cleaned_data.get(f"qty_{product.code}") or 0
            for product in self.products
        }

    def pickup_moment(self):
        slot = self.slots.get(self.cleaned_data.get("pickup_at") or "")
        return slot.start if slot else None

    def address(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in ("name", "street", "postcode", "locality", "phone", "latitude", "longitude")
        }


class ConfirmForm(forms.Form):
    ready_at = forms.DateTimeField(label=gettext_lazy("Ready at"), **DATETIME_LOCAL)
    total = MoneyField(label=gettext_lazy("Total price"), zero_ok=True, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the customer"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )


class PayForm(forms.Form):
    points = forms.IntegerField(label=gettext_lazy("Points"), required=False, min_value=0)
    purse = MoneyField(label=gettext_lazy("From the card's purse"), zero_ok=True, required=False)
    voucher_code = forms.CharField(
        label=gettext_lazy("Voucher code"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )  # fmt: skip
    voucher_amount = MoneyField(
        label=gettext_lazy("Amount from the voucher"), zero_ok=True, required=False
    )
