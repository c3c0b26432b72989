"""Newsletters of the town and of each business: subscribers by double opt-in (with the
record of their consent), issues written in the browser and sent by a background task,
each recipient at most once per issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned


class Newsletter(CityOwned):
    """The town's newsletter (no business) or one business's."""

    code = PublicCodeField()
    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, null=True, blank=True,
        related_name="newsletter",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")
        constraints = [
            models.UniqueConstraint(
                fields=["city"], condition=Q(merchant__isnull=True), name="newsletter_town_once"
            ),
        ]

    def name(self) -> str:
        return self.merchant.name if self.merchant_id else self.city.name


class Subscriber(CityOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    code = PublicCodeField()
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField(_("e-mail"))
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PENDING)
    # The consent: when, to which text, from which page and network, in which language.
    requested_at = models.DateTimeField()
    consent_text = models.CharField(max_length=400)
    consent_source = models.CharField(max_length=200)
    language = models.CharField(max_length=8)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_from = models.CharField(max_length=60, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "email"], name="subscriber_once"),
        ]


class Issue(CityOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    code = PublicCodeField()
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="issues")
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("text"), max_length=20000)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    form_key = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        constraints = [
            models.UniqueConstraint(
                fields=["newsletter", "form_key"], condition=~Q(form_key=""), name="issue_form_once"
            ),
        ]


class Delivery(models.Model):
    """One issue to one subscriber: written before the mail goes out, so that a retried
    task never mails anybody twice."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} → {self.subscriber_id}"
