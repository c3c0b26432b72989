from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marktplatz.core.images import image_clean
from marktplatz.loyalty.models import Reward
from marktplatz.merchants.models import Category
from marktplatz.messenger.models import MAX_OFFER_DAYS, Audience, Offer


class OfferForm(forms.ModelForm):
    image = forms.FileField(
        label=gettext_lazy("image"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text=gettext_lazy("JPEG, PNG, WebP or GIF; scaled down, without its metadata."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    # The business's own rewards (the operator's for the town's offers), set per form.
    reward = forms.ModelChoiceField(
        label=gettext_lazy("reward of the city card"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("A reward of the city card that goes with the offer."),
    )

    class Meta:
        model = Offer
        fields = [
            "title",
            "text",
            "image",
            "image_alt",
            "starts_on",
            "ends_on",
            "audience",
            "bonus_points",
        ]  # and ``reward``, declared above (a model choice of the town's rewards)
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, merchant=None, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        rewards = Reward.objects.filter(is_active=True, merchant=merchant).order_by("title")
        self.fields["reward"].queryset = rewards
        self.initial.setdefault("reward", self.instance.reward_id)
        if merchant is None:
            # The town's own offers reach everybody: there are no followers of the town.
            del self.fields["audience"]
        if not self.instance.pk:
            self.initial.setdefault("key", uuid.uuid4().hex)
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("ends_on", today + dt.timedelta(days=14))

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if not isinstance(upload, UploadedFile):
            return upload  # unchanged (the stored picture), cleared (False) or none
        return image_clean(upload, name="offer")

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends:
            if ends < starts:
                self.add_error("ends_on", _("The offer must end on or after the day it starts."))
            elif (ends - starts).days >= MAX_OFFER_DAYS:
                self.add_error(
                    "ends_on",
                    _("An offer runs for at most %(days)s days.") % {"days": MAX_OFFER_DAYS},
                )
            elif ends < self.today and (not self.instance.pk or "ends_on" in self.changed_data):
                self.add_error("ends_on", _("This day is in the past."))
        if data.get("image") and not data.get("image_alt", "").strip():
            self.add_error("image_alt", _("Describe the picture for people who cannot see it."))
        self.instance.reward = data.get("reward")
        if not self.instance.pk:
            self.instance.form_key = data.get("key", "")
        if "audience" not in self.fields:
            self.instance.audience = Audience.TOWN
        return data


class CategoryFollowForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Kind of business"), choices=Category.choices)
    action = forms.ChoiceField(choices=[("follow", "follow"), ("unfollow", "unfollow")])


class FollowForm(forms.Form):
    action = forms.ChoiceField(choices=[("follow", "follow"), ("unfollow", "unfollow")])


class SaveForm(forms.Form):
    action = forms.ChoiceField(choices=[("save", "save"), ("unsave", "unsave")])
