"""API keys of merchants' cash-register terminals. Only a hash of the secret is stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned


class TerminalKey(CityOwned):
    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="terminal_keys"
    )
    name = models.CharField(_("name"), max_length=80)
    # The key reads "mpk_<prefix>_<secret>"; the prefix finds the row, the hash checks it.
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("terminal key")
        verbose_name_plural = _("terminal keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def label(self) -> str:
        return f"api-key:{self.prefix}"


class WebhookEndpoint(CityOwned):
    """Where a merchant's system wants to hear of new bookings (Standard Webhooks)."""

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("address"), max_length=500)
    # "whsec_" + base64 of 24 random bytes; kept to sign, shown to the merchant.
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(CityOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Given up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        ordering = ["-created_at"]


class IdempotentAnswer(CityOwned):
    """The first answer to a till's write that books nothing in the ledger (a reward
    hand-out), kept so that a retry with the same Idempotency-Key gets it again.

    The row is written first, in the transaction of the write: a second request with the
    same key waits on the unique index until the first has committed, then replays it.
    """

    terminal = models.ForeignKey(TerminalKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["terminal", "key"], name="api_answer_once_per_key")
        ]
