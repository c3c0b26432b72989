"""Issuing and revoking terminal keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from marktplatz.api.models import IdempotentAnswer, TerminalKey
from marktplatz.audit.services import audit_record
from marktplatz.core.ids import new_code
from marktplatz.core.memo import forget, forget_entry, remember
from marktplatz.ledger.errors import IdempotencyConflict

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


def answer_once(
    *,
    terminal: TerminalKey,
    key: str,
    request: dict[str, Any],
    produce: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Answer a write once per Idempotency-Key: (status, body, created).

    ``produce`` does the write (in this transaction) and returns its answer; it runs only
    for a new key. A retry gets the stored answer, the same key with another ``request``
    IdempotencyConflict. A write that raises stores nothing: its retry runs again.
    """
    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        try:
            # First the key: a second request with it waits here for the first to end.
            with transaction.atomic():
                row = IdempotentAnswer.objects.create(
                    city_id=terminal.city_id, terminal=terminal, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            row = IdempotentAnswer.objects.get(terminal=terminal, key=key)
            if row.fingerprint != fingerprint:
                raise IdempotencyConflict() from None
            return row.status, row.body, False
        status, body = produce()
        row.status, row.body = status, body
        row.save(update_fields=["status", "body"])
    return status, body, True
