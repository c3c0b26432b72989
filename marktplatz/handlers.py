"""What the WSGI and the ASGI application share: the POS API behind a shorter middleware
chain, and every URL pattern imported while a server starts.

Cash-register calls (``/<town>/api/pos/v1/…`` except the rendered docs) carry a bearer
key and JSON, never a session, a cookie form or an HTML page: sessions, CSRF, login,
messages, CSP and htmx middleware have nothing to do there and are skipped
(``settings.API_MIDDLEWARE``). Everything else goes through ``settings.MIDDLEWARE``.
Import this module only after Django is set up.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import TypeVar

from django.conf import settings

H = TypeVar("H")

API_PATH = re.compile(r"^(?:/[^/]+)?/api/pos/v1/(?!docs)")


def with_middleware(handler_class: type[H], middleware: list[str]) -> H:
    """A Django handler (WSGI or ASGI) with its own middleware chain, built once."""
    configured = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return handler_class()
    finally:
        settings.MIDDLEWARE = configured


def import_url_patterns() -> None:
    """Import every URL pattern (and the views and API schema behind them) now, while the
    server starts, not in its first request: that request would otherwise take most of a
    second, and the requests queued behind it with it."""
    import_module(settings.ROOT_URLCONF)
