from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.accounts.models import RoleKind
from marktplatz.cities.models import Department
from marktplatz.merchants.models import Employer

# Least privilege first: an invitation form offers (and preselects) the weakest role.
PRIVILEGE_ORDER = [
    RoleKind.MERCHANT_CASHIER,
    RoleKind.MERCHANT_MANAGER,
    RoleKind.MERCHANT_OWNER,
    RoleKind.OPERATOR_STAFF,
    RoleKind.CITY_STAFF,
    RoleKind.EMPLOYER_ADMIN,
    RoleKind.OPERATOR_ADMIN,
    RoleKind.CITIZEN,
]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    kind = forms.ChoiceField(label=_("Role"))
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False)
    employer = forms.ModelChoiceField(label=_("Employer"), queryset=None, required=False)

    def __init__(self, *args, kinds: list[str], town_level: bool, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(RoleKind.choices)
        kinds = sorted(kinds, key=PRIVILEGE_ORDER.index)
        self.fields["kind"].choices = [(k, labels[k]) for k in kinds]
        if kinds:
            self.fields["kind"].initial = kinds[0]
        if town_level:
            self.fields["department"].queryset = Department.objects.all()
            self.fields["employer"].queryset = Employer.objects.all()
        else:
            del self.fields["department"]
            del self.fields["employer"]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == RoleKind.CITY_STAFF and not cleaned.get("department"):
            self.add_error("department", _("City staff work for a department: choose one."))
        if kind == RoleKind.EMPLOYER_ADMIN and not cleaned.get("employer"):
            self.add_error("employer", _("Choose the employer this person manages."))
        if kind != RoleKind.CITY_STAFF:
            cleaned["department"] = None
        if kind != RoleKind.EMPLOYER_ADMIN:
            cleaned["employer"] = None
        return cleaned
