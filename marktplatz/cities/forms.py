from django import forms

from marktplatz.cities.models import City, Department
from marktplatz.core.banking import BankDetailsFormMixin


class CitySettingsForm(BankDetailsFormMixin, forms.ModelForm):
    iban_field, bic_field = "bank_iban", "bank_bic"

    class Meta:
        model = City
        fields = [
            "name",
            "default_language",
            "time_zone",
            "logo",
            "primary_color",
            "accent_color",
            "bank_account_holder",
            "bank_iban",
            "bank_bic",
            "sepa_creditor_id",
            "postal_street",
            "postal_code",
            "postal_town",
            "registration_id",
        ]
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
        }


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "email"]
