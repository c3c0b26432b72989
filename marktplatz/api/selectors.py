"""Reading the POS API's objects: the access helper the key pages go through."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from marktplatz.api.models import TerminalKey


def access_terminal_key(*, merchant: Any, code: str) -> TerminalKey:
    """A live terminal key of ``merchant`` (already checked with access_merchant), else 404."""
    found = TerminalKey.objects.filter(
        code=code, merchant=merchant, revoked_at__isnull=True
    ).first()
    if found is None:
        raise Http404("no such key")
    return found
