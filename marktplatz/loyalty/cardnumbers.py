"""Card numbers (printed, with a Luhn check digit) and QR tokens (secret, 128 bits)."""

from __future__ import annotations

import base64
import secrets

PREFIX = "9276"  # 16 digits: prefix, 11 random digits, check digit
QR_PREFIX = "MPC1-"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_number(number: str) -> bool:
    digits = normalise_number(number)
    return len(digits) == 16 and digits.isdigit() and luhn_check_digit(digits[:-1]) == digits[-1]


def normalise_number(number: str) -> str:
    return "".join(ch for ch in number if not ch.isspace() and ch != "-")


def new_number() -> str:
    body = PREFIX + "".join(secrets.choice("0123456789") for _ in range(11))
    return body + luhn_check_digit(body)


def format_number(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def new_qr_token() -> str:
    """What the QR code encodes: 128 random bits, nothing personal."""
    raw = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")
    return QR_PREFIX + raw
