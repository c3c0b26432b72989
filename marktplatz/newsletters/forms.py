from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    consent = forms.BooleanField(label=_("Yes, I would like the newsletter."), required=True)


class IssueForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 14})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("key", uuid.uuid4().hex)
