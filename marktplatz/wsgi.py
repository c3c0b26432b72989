"""The WSGI application: the site, and the POS API behind a shorter middleware chain
(``marktplatz.handlers``). The chat's WebSockets need the ASGI application (asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marktplatz.settings")
site = get_wsgi_application()

from django.conf import settings  # noqa: E402  (settings are ready only after the line above)
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402

from marktplatz.handlers import API_PATH, import_url_patterns, with_middleware  # noqa: E402

api = with_middleware(WSGIHandler, settings.API_MIDDLEWARE)
import_url_patterns()


def application(environ, start_response):
    handler = api if API_PATH.match(environ.get("PATH_INFO", "")) else site
    return handler(environ, start_response)
