"""What people are told, and how: a notification in the app (with its unread state), and
the channels each person chose per kind (e-mail, Web Push on their devices). Everything
is shown in the app; nothing goes by e-mail or push without the person's consent,
recorded when and from where it was given."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marktplatz.core.tenancy import CityOwned


class Kind(models.TextChoices):
    CHAT = "chat", _("Chat messages")
    ORDER = "order", _("Orders")
    OFFER = "offer", _("New offers of shops I follow")


class Channel(models.TextChoices):
    """Ways out of the app (each by consent). In the app itself everything is shown."""

    EMAIL = "email", _("E-mail")
    PUSH = "push", _("Push on my devices")


class Notification(CityOwned):
    """One thing to tell one person. ``event`` holds what the text is made of (rendered
    in the reader's language when shown); ``url`` is where it leads."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    event = models.JSONField(default=dict)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When it went out by e-mail (a chat message: in the batched e-mail).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user", "-id"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["user", "-id"], name="notification_user"),
        ]


class Preference(CityOwned):
    """A person's choice for one kind and channel; ``consented_at``, ``consent_text`` and
    ``consent_source`` record the consent (or its withdrawal) for e-mail and push."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField()
    changed_at = models.DateTimeField(auto_now=True)
    consent_text = models.CharField(max_length=300, blank=True)
    consent_source = models.CharField(max_length=120, blank=True)
    # The language the person chose this in: e-mails and pushes are written in it.
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="preference_once"),
        ]


class PushSubscription(CityOwned):
    """A browser's Web Push subscription (RFC 8030): where to send, and the keys to
    encrypt for it (RFC 8291). Deleted when the push service answers 404 or 410."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=50)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
