"""WebSocket paths, below a town's path prefix or on its own host (as pages are)."""

from django.conf import settings
from django.urls import re_path

from marktplatz.chat.consumers import ConversationConsumer, InboxConsumer

TOWN = r"^(?:(?P<town>[a-z0-9-]+)/)?"

websocket_urlpatterns = [
    re_path(TOWN + r"ws/chat/(?P<code>[A-Za-z0-9]+)/$", ConversationConsumer.as_asgi()),
    re_path(TOWN + r"ws/inbox/(?P<code>[A-Za-z0-9]+)/$", InboxConsumer.as_asgi()),
]

if settings.CHAT_BENCH_ANCHOR:
    from marktplatz.chat.anchor import RelayAnchor

    websocket_urlpatterns.append(re_path(r"^ws/bench/relay/(?P<pair>\w+)/$", RelayAnchor.as_asgi()))
