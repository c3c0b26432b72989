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
