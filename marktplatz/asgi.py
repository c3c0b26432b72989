"""The ASGI application: pages and the POS API over HTTP (as in wsgi.py), and the chat's
WebSockets (Django Channels). The demo serves both from one process with the in-memory
channel layer; production runs several ASGI servers with the Redis channel layer
(docs/operations.md)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marktplatz.settings")
site = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the settings)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from marktplatz.chat.routing import websocket_urlpatterns  # noqa: E402
from marktplatz.handlers import API_PATH, import_url_patterns, with_middleware  # noqa: E402

api = with_middleware(ASGIHandler, settings.API_MIDDLEWARE)
import_url_patterns()
# What the start-up made lives as long as the process: kept out of the garbage collector's
# full passes, which otherwise walk it again and again while sockets wait.
gc.freeze()


async def http(scope, receive, send):
    handler = api if API_PATH.match(scope.get("path", "")) else site
    await handler(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
