"""The WSGI application: the site, and the POS API behind a shorter middleware chain.

Cash-register calls (``/<town>/api/pos/v1/…`` except the rendered docs) carry a bearer
key and JSON, never a session, a cookie form or an HTML page: sessions, CSRF, login,
messages, CSP and htmx middleware have nothing to do there and are skipped
(``settings.API_MIDDLEWARE``). Everything else goes through ``settings.MIDDLEWARE``.
"""

import os
import re
from importlib import import_module

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marktplatz.settings")
site = get_wsgi_application()

from django.conf import settings  # noqa: E402  (settings are ready only after the line above)
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402


def _handler(middleware: list[str]) -> WSGIHandler:
    """A Django WSGI handler with its own middleware chain (built once, at start-up)."""
    configured = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = configured


api = _handler(settings.API_MIDDLEWARE)
# Import every URL pattern (and the views and API schema behind them) now, while the worker
# starts, not in its first request: that request would otherwise take most of a second,
# and the requests queued behind it on the same worker with it.
import_module(settings.ROOT_URLCONF)
API_PATH = re.compile(r"^(?:/[^/]+)?/api/pos/v1/(?!docs)")


def application(environ, start_response):
    handler = api if API_PATH.match(environ.get("PATH_INFO", "")) else site
    return handler(environ, start_response)
