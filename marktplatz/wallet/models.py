"""Apple Wallet registrations of city cards (the pass web service's state)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from marktplatz.core.tenancy import CityOwned


class WalletPass(CityOwned):
    """A card issued as a wallet pass; its token authenticates the device's calls."""

    card = models.OneToOneField(
        "loyalty.Card", on_delete=models.CASCADE, related_name="wallet_pass"
    )
    auth_token = models.CharField(max_length=64, unique=True)
    # The holder's language when they last added the pass: the device's later updates
    # (Apple's web service, no session) keep the labels in it.
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="de")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet pass")


class DeviceRegistration(CityOwned):
    wallet_pass = models.ForeignKey(WalletPass, on_delete=models.CASCADE, related_name="devices")
    device_library_id = models.CharField(max_length=128)
    push_token = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["wallet_pass", "device_library_id"], name="wallet_device_once_per_pass"
            )
        ]
