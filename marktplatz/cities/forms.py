from django import forms

from marktplatz.cities.models import City, Department


class CitySettingsForm(forms.ModelForm):
    class Meta:
        model = City
        fields = [
            "name",
            "default_language",
            "time_zone",
            "logo",
            "primary_color",
            "accent_color",
        ]
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
        }


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "email"]
