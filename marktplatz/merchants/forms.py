from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.banking import BankDetailsFormMixin
from marktplatz.merchants.hours import WEEKDAY_NAMES, WEEKDAYS, format_day, parse_day
from marktplatz.merchants.models import Employer, Merchant

HOURS_HELP = _("For example 09:00-12:30, 14:00-18:30. Leave empty when closed.")


class MerchantForm(BankDetailsFormMixin, forms.ModelForm):
    """The business profile, with one text field per weekday for the opening hours."""

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Merchant
        fields = [
            "name",
            "category",
            "description",
            "street",
            "postcode",
            "locality",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "logo",
            "accepting",
            "account_holder",
            "iban",
            "bic",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.opening_hours or {}
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAY_NAMES[day],
                required=False,
                max_length=100,
                initial=format_day(hours.get(day, [])),
                help_text=HOURS_HELP if day == "mon" else "",
            )

    @property
    def hours_fields(self):
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    @property
    def profile_fields(self):
        return [self[name] for name in self.Meta.fields]

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for day in WEEKDAYS:
            try:
                hours[day] = parse_day(cleaned.get(f"hours_{day}", "") or "")
            except forms.ValidationError as error:
                self.add_error(f"hours_{day}", error)
        self.instance.opening_hours = hours
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned

    def changed_profile_fields(self) -> list[str]:
        changed = [name for name in self.changed_data if not name.startswith("hours_")]
        if any(name.startswith("hours_") for name in self.changed_data):
            changed.append("opening_hours")
        return changed


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("The business receives this text by e-mail."),
    )


class EmployerForm(forms.ModelForm):
    class Meta:
        model = Employer
        fields = ["name", "contact_email", "street", "postcode", "locality"]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from marktplatz.merchants.models import Category

        self.fields["category"].choices = [("", _("All categories")), *Category.choices]
