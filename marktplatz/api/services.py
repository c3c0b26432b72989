"""Issuing and revoking terminal keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from marktplatz.api.models import TerminalKey
from marktplatz.audit.services import audit_record
from marktplatz.core.ids import new_code
from marktplatz.core.memo import forget, forget_entry, remember

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
    forget("terminal-key")


def _key_load(city: Any, prefix: str) -> TerminalKey | None:
    return (
        TerminalKey.objects.filter(city=city, prefix=prefix, revoked_at__isnull=True)
        .select_related("merchant", "city")
        .first()
    )


def terminal_key_check(*, city: Any, token: str) -> TerminalKey | None:
    """The active key of ``city`` matching ``token``, or None.

    The key with its merchant is kept in memory between requests, and checked against
    the database on every request with one small query: a revoked key, or a merchant
    whose state changed, is seen at once by every app server.
    """
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    prefix = parts[1]
    memo_key = ("terminal-key", city.pk, prefix)
    key = remember(memo_key, 300, lambda: _key_load(city, prefix))
    if key is None:
        forget_entry(memo_key)  # unknown prefixes are not kept
        return None
    if not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        return None
    merchant = key.merchant
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.is_active, m.accepting, m.status, m.name FROM api_terminalkey k"
            " JOIN merchants_merchant m ON m.id = k.merchant_id"
            " WHERE k.id = %s AND k.city_id = %s AND k.revoked_at IS NULL",
            [key.pk, city.pk],
        )
        row = cursor.fetchone()
    if row is None:
        forget("terminal-key")
        return None
    if row != (merchant.is_active, merchant.accepting, merchant.status, merchant.name):
        forget("terminal-key")
        key = _key_load(city, prefix)
    return key
