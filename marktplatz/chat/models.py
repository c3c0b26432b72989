"""The chat of the City Messenger: one conversation per citizen and business, its
messages (text, a picture), the business's canned replies and away message, and messages
reported to the town's operator."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned

MAX_MESSAGE_CHARS = 2000


class PrivateStorage(LazyObject):
    """Files only a view hands out, after checking who asks (never below MEDIA_URL)."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = PrivateStorage()


class Conversation(CityOwned):
    """The one line between a citizen and a business.

    ``state`` is the business's view of it: open (to be answered), pending (waiting for
    the citizen), resolved, or snoozed until ``snoozed_until``, when it counts as open
    again; a message of the citizen reopens it at once. ``citizen_read`` and
    ``merchant_read`` are the last message each side has read (read receipts).
    """

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        SNOOZED = "snoozed", _("Snoozed")

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="conversations"
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The business blocked the citizen: nothing more from them reaches it.
    blocked_at = models.DateTimeField(null=True, blank=True)
    citizen_read = models.BigIntegerField(default=0)
    merchant_read = models.BigIntegerField(default=0)
    # When the away message was last sent (at most once per closed spell).
    away_sent_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "citizen"], name="conversation_once"),
            models.CheckConstraint(
                name="conversation_snoozed_until",
                condition=Q(state="snoozed", snoozed_until__isnull=False)
                | (~Q(state="snoozed") & Q(snoozed_until__isnull=True)),
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-last_message_at"], name="conversation_inbox"),
            models.Index(fields=["citizen", "-last_message_at"], name="conversation_citizen"),
        ]

    def __str__(self) -> str:
        return f"{self.citizen} – {self.merchant}"

    def state_at(self, now: dt.datetime) -> str:
        """The state as the inbox shows it at ``now``: a snooze that has run out is open."""
        if self.state == self.State.SNOOZED and self.snoozed_until <= now:
            return self.State.OPEN
        return self.state


class Message(CityOwned):
    """One message: by the citizen, by the business's staff, or the automatic away
    message. Text, a picture, or both; the text is shown as text, never as HTML. A notice
    (``event``) is on the side of whoever caused it."""

    class Side(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        MERCHANT = "merchant", _("Business")
        AUTO = "auto", _("Automatic")

    code = PublicCodeField()
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    side = models.CharField(max_length=10, choices=Side.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=MAX_MESSAGE_CHARS, blank=True)
    image = models.ImageField(
        _("picture"), upload_to="chat/%Y/%m/", storage=private_storage, blank=True
    )
    # A notice of another part of the messenger instead of text (an order's step: see
    # ``orders.services``), rendered in the reader's language.
    event = models.JSONField(null=True, blank=True)
    # The key of the form that sent it: the same form sent twice posts one message.
    form_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "form_key"],
                condition=~Q(form_key=""),
                name="message_form_once",
            ),
            models.CheckConstraint(
                name="message_not_empty",
                condition=~Q(body="") | ~Q(image="") | Q(event__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation")]

    def __str__(self) -> str:
        return self.body[:40]


class MessageReport(CityOwned):
    """A message one side reported to the town's operator (abuse, spam)."""

    code = PublicCodeField()
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reported message")
        verbose_name_plural = _("reported messages")
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="report_once"),
        ]


class CannedReply(CityOwned):
    """A ready answer of a business that staff insert with one click."""

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="canned_replies"
    )
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=MAX_MESSAGE_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "title"], name="canned_reply_title_once"),
        ]

    def __str__(self) -> str:
        return self.title


class InboxSettings(CityOwned):
    """A business's chat settings: the away message sent outside its opening hours."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="inbox_settings"
    )
    away_message = models.TextField(
        _("away message"),
        max_length=500,
        blank=True,
        help_text=_(
            "Sent once when somebody writes while the business is closed (by its opening "
            "hours). Leave empty for none."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
