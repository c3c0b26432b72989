"""Random public codes for URLs: object URLs never expose primary keys."""

import secrets

from django.db import models

# Crockford's base32 alphabet without I, L, O, U: easy to read out and type.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_code(length: int = 12) -> str:
    """A random code of ``length`` characters (5 bits each; 12 → 60 bits)."""
    # 32 divides 256: the low five bits of a random byte are uniform over the alphabet.
    return "".join([ALPHABET[byte & 31] for byte in secrets.token_bytes(length)])


class PublicCodeField(models.CharField):
    """A unique random code, set on creation, used in URLs instead of the primary key."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", new_code)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (
            ("max_length", 16),
            ("unique", True),
            ("editable", False),
            ("default", new_code),
        ):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs
