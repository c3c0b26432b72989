from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marktplatz.chat.models import MAX_MESSAGE_CHARS, Conversation


class MessageForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_MESSAGE_CHARS}),
    )
    image = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=Conversation.State.choices)
    snoozed_until = forms.DateTimeField(
        label=_("Snoozed until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(person.pk): person for person in staff}
        self.fields["assignee"].choices = [("", _("Nobody"))] + [
            (str(person.pk), person.email) for person in staff
        ]

    def clean_assignee(self):
        return self.staff.get(self.cleaned_data["assignee"])


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this message?"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=60)
    body = forms.CharField(
        label=_("Text"), max_length=MAX_MESSAGE_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )


class AwayForm(forms.Form):
    away_message = forms.CharField(
        label=_("Away message"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Sent once when somebody writes while the business is closed (by its opening "
            "hours). Leave empty for none."
        ),
    )
