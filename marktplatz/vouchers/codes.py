"""Voucher codes: 100 random bits in Crockford's base32, printed in groups of four."""

from __future__ import annotations

import re
import secrets

from marktplatz.core.ids import ALPHABET

PREFIX = "MPV1"
GROUPS = 5  # 5 groups of 4 characters of 5 bits: 100 bits
_SEPARATORS = re.compile(r"[\s\-]+")
# What people mistype when they read a code aloud or off paper.
_READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0"})


def new_voucher_code() -> str:
    raw = "".join(ALPHABET[byte & 31] for byte in secrets.token_bytes(4 * GROUPS))
    return "-".join([PREFIX, *(raw[i : i + 4] for i in range(0, len(raw), 4))]).upper()


def normalise_code(text: str) -> str:
    """The canonical form of a typed or scanned code (case, spaces, dashes, look-alikes)."""
    raw = _SEPARATORS.sub("", (text or "").strip()).lower().translate(_READ_AS)
    if raw.startswith(PREFIX.lower()):
        raw = raw[len(PREFIX) :]
    if len(raw) != 4 * GROUPS or any(char not in ALPHABET for char in raw):
        return ""
    return "-".join([PREFIX, *(raw[i : i + 4] for i in range(0, len(raw), 4))]).upper()
