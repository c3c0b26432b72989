"""Reading wallet passes: the access helper Apple's pass web service goes through."""

from __future__ import annotations

import hmac
from typing import Any

from marktplatz.wallet.models import WalletPass


def access_pass(*, city: Any, serial: str, token: str) -> WalletPass | None:
    """The pass ``serial`` of ``city`` if ``token`` is its authentication token, else None
    (Apple's protocol answers 401; no person and no role are involved)."""
    found = (
        WalletPass.objects.filter(card__code=serial, city=city)
        .select_related("card__member", "card__city")
        .first()
    )
    if found is None or not token or not hmac.compare_digest(found.auth_token, token):
        return None
    return found
