from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.core.money import parse_money


class CardForm(forms.Form):
    card = forms.CharField(
        label=_("Card number or code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
    )


class EarnForm(forms.Form):
    card = forms.CharField(widget=forms.HiddenInput, max_length=64)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    amount = forms.CharField(
        label=_("Purchase amount"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    offer = forms.ChoiceField(
        label=_("Offer used"),
        required=False,
        choices=[],
        error_messages={
            "invalid_choice": _("This offer is not live any more: choose another one or none.")
        },
    )

    def __init__(self, *args, offers=(), **kwargs):
        """``offers``: the live offers of the business (loyalty.offers.TillOffer)."""
        super().__init__(*args, **kwargs)
        self.offers = {offer.code: offer for offer in offers}
        choices = [("", _("No offer"))]
        for offer in offers:
            label = offer.title
            if offer.bonus_points:
                label = _("%(title)s (+%(points)s bonus points)") % {
                    "title": offer.title,
                    "points": offer.bonus_points,
                }
            choices.append((offer.code, label))
        self.fields["offer"].choices = choices

    def clean_amount(self):
        return parse_money(self.cleaned_data["amount"])


class RedeemForm(forms.Form):
    card = forms.CharField(widget=forms.HiddenInput, max_length=64)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    points = forms.IntegerField(label=_("Points to redeem"), min_value=1, max_value=10**7)


class AdjustForm(forms.Form):
    card = forms.CharField(label=_("Card number"), max_length=64)
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("Negative to take points back."),
        min_value=-(10**6),
        max_value=10**6,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class BatchForm(forms.Form):
    size = forms.IntegerField(label=_("Number of cards"), min_value=1, max_value=1000)
    note = forms.CharField(label=_("Note"), max_length=120, required=False)


class RewardForm(forms.ModelForm):
    class Meta:
        from marktplatz.loyalty.models import Reward

        model = Reward
        fields = ["title", "description", "points", "stock", "per_person_limit", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class EventForm(forms.ModelForm):
    class Meta:
        from marktplatz.loyalty.models import MemberEvent

        model = MemberEvent
        fields = ["title", "description", "starts_at", "location", "capacity", "is_published"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }


class FulfilForm(forms.Form):
    token = forms.CharField(
        label=_("Code of the reward (scan or type)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CardActionForm(forms.Form):
    card = forms.CharField(label=_("Card number"), max_length=64)
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("block", _("Block (lost or stolen)")),
            ("replace", _("Block and issue a new card")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=120)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        from marktplatz.loyalty.models import Programme

        model = Programme
        fields = [
            "points_per_unit",
            "merchant_min_points_per_unit",
            "merchant_max_points_per_unit",
            "points_per_unit_redeemed",
            "min_redeem_points",
            "welcome_bonus",
            "visit_bonus",
            "daily_cap_per_card",
            "max_purchase_minor",
            "expiry_months",
            "refund_window_days",
            "cancel_window_minutes",
            "apple_wallet",
            "google_wallet",
        ]

    def clean(self):
        cleaned = super().clean()
        low = cleaned.get("merchant_min_points_per_unit")
        high = cleaned.get("merchant_max_points_per_unit")
        if low is not None and high is not None and low > high:
            self.add_error(
                "merchant_max_points_per_unit", _("The highest rate is below the lowest.")
            )
        return cleaned


class CampaignForm(forms.ModelForm):
    # Declared here with its queryset set per request: a town's merchants can only be
    # listed inside the town's scope (a class-level queryset would query at import).
    merchant = forms.ModelChoiceField(
        label=_("Business"),
        queryset=None,
        required=False,
        help_text=_("Empty: every business of the town."),
    )

    class Meta:
        from marktplatz.loyalty.models import Campaign

        model = Campaign
        fields = ["name", "merchant", "multiplier_percent", "starts_at", "ends_at"]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "ends_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from marktplatz.merchants.models import Merchant

        self.fields["merchant"].queryset = Merchant.objects.filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("starts_at")
            and cleaned.get("ends_at")
            and cleaned["ends_at"] <= cleaned["starts_at"]
        ):
            self.add_error("ends_at", _("The campaign must end after it starts."))
        return cleaned


class RefundForm(forms.Form):
    booking = forms.CharField(label=_("Booking number (on the receipt)"), max_length=16)
    amount = forms.CharField(
        label=_("Refunded amount"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to refund the whole purchase."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_amount(self):
        raw = self.cleaned_data["amount"]
        return parse_money(raw) if raw.strip() else None
