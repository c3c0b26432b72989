"""Issuing and revoking terminal keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from marktplatz.api.models import TerminalKey
from marktplatz.audit.services import audit_record
from marktplatz.core.ids import new_code

KEY_PREFIX = "mpk"


def _hash(secret: str) -> str:
    # The secret has 256 random bits: a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode()).hexdigest()


def terminal_key_create(*, merchant: Any, name: str, actor: Any) -> tuple[TerminalKey, str]:
    """A new key; the full key is returned once and never stored."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        key = TerminalKey.objects.create(
            city=merchant.city,
            merchant=merchant,
            name=name,
            prefix=new_code(12),
            secret_hash=_hash(secret),
            created_by=actor,
        )
        audit_record(city=merchant.city, actor=actor, action="terminal_key.created", obj=key)
    return key, f"{KEY_PREFIX}_{key.prefix}_{secret}"


def terminal_key_revoke(*, key: TerminalKey, actor: Any) -> None:
    with transaction.atomic():
        TerminalKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        audit_record(city=key.city, actor=actor, action="terminal_key.revoked", obj=key)


def terminal_key_check(*, token: str) -> TerminalKey | None:
    """The active key of the request's town matching ``token``, or None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = (
        TerminalKey.objects.filter(prefix=parts[1], revoked_at__isnull=True)
        .select_related("merchant", "city")
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        return None
    return key
