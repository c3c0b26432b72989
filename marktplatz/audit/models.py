"""The audit log: who did what to which object in which town. Rows are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marktplatz.core.immutable import AppendOnlyError, Immutable
from marktplatz.core.tenancy import CityScopedManager

__all__ = ["AppendOnlyError", "AuditEvent"]


class AuditEvent(Immutable):
    # Nullable: platform-wide events (a superuser creating a town) belong to no town.
    city = models.ForeignKey(
        "cities.City", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: rows are append-only, so an account with events is not deleted outright.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept even if the account is later deleted.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_code = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CityScopedManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["city", "-created_at"], name="audit_city_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action}"
