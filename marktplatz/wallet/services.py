"""Writes of the wallet app: devices registering for a pass's updates (Apple's web service).

No person acts here (Apple's servers call on behalf of a phone), so the audit records name
no actor."""

from __future__ import annotations

from django.db import transaction

from marktplatz.audit.services import audit_record
from marktplatz.wallet.models import DeviceRegistration, WalletPass


def device_register(*, wallet_pass: WalletPass, device: str, push_token: str) -> bool:
    """Register (or refresh) a device for pushes about ``wallet_pass``; True if new."""
    with transaction.atomic():
        _registration, created = DeviceRegistration.objects.update_or_create(
            wallet_pass=wallet_pass,
            device_library_id=device[:128],
            defaults={"push_token": push_token[:256], "city": wallet_pass.city},
        )
        if created:
            audit_record(
                city=wallet_pass.city, actor=None, action="wallet.device_registered",
                obj=wallet_pass,
            )  # fmt: skip
    return created


def device_unregister(*, wallet_pass: WalletPass, device: str) -> None:
    with transaction.atomic():
        deleted, _rows = DeviceRegistration.objects.filter(
            wallet_pass=wallet_pass, device_library_id=device
        ).delete()
        if deleted:
            audit_record(
                city=wallet_pass.city, actor=None, action="wallet.device_unregistered",
                obj=wallet_pass,
            )  # fmt: skip
