"""WebSockets of the chat (Django Channels).

``…/ws/chat/<conversation>/`` is held by a conversation's open page: it receives the new
messages, rendered for the side of the person holding it, and read receipts, and it may
send messages and read receipts itself (through the same services as the forms).
``…/ws/inbox/<business>/`` is held by a business's inbox: it hears that something
changed, and the page reloads its list. The town comes from the host or the first path
segment, as for pages; the person from the session cookie. Anybody who may not see the
conversation or inbox is refused (close code 4404; 4401 when not logged in)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation

from marktplatz.chat import realtime, selectors, services
from marktplatz.cities.selectors import city_for_host, city_for_slug
from marktplatz.core.tenancy import city_scope, scopes_disabled

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _town(scope: dict) -> tuple[Any, str]:
    """The town, and the script prefix its pages' addresses have (``/<town>/`` below a
    shared host, ``/`` on the town's own)."""
    with scopes_disabled():
        city, town_host = city_for_host(_header(scope, b"host"))
        if city is not None or town_host:
            return city, "/"
        slug = scope["url_route"]["kwargs"].get("town")
        return (city_for_slug(slug) if slug else None), f"/{slug}/"


def _language(scope: dict, city: Any) -> str:
    language = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    return language if language in SUPPORTED_LANGUAGES else city.default_language


class _TownConsumer(AsyncJsonWebsocketConsumer):
    """Finds the town, the person and their language; runs sync code in the town's scope."""

    city: Any = None
    script_prefix = "/"
    language = "en"

    async def websocket_connect(self, message: dict) -> None:
        self.city, self.script_prefix = await database_sync_to_async(_town)(self.scope)
        user = self.scope.get("user")
        if self.city is None:
            await self.close(code=4404)
            return
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.language = _language(self.scope, self.city)
        try:
            groups = await self.run(self.join)
        except Http404:
            await self.close(code=4404)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups = groups
        await self.accept()

    def join(self) -> list[str]:
        raise NotImplementedError

    async def run(self, function, *args: Any, **kwargs: Any) -> Any:
        def scoped() -> Any:
            prefix = get_script_prefix()
            set_script_prefix(self.script_prefix)
            try:
                with (
                    city_scope(self.city),
                    translation.override(self.language),
                    timezone.override(self.city.time_zone),
                ):
                    return function(*args, **kwargs)
            finally:
                set_script_prefix(prefix)

        return await database_sync_to_async(scoped)()


class ConversationConsumer(_TownConsumer):
    def join(self) -> list[str]:
        code = self.scope["url_route"]["kwargs"]["code"]
        self.conversation, self.side = selectors.access_conversation(
            user=self.scope["user"], code=code
        )
        return [realtime.conversation_group(self.conversation.pk)]

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "send":
            error = await self.run(self._send, content)
            if error:
                await self.send_json({"type": "error", "message": error, "key": content.get("key")})
        elif content.get("type") == "read" and isinstance(content.get("upto"), int):
            await self.run(
                services.conversation_read,
                conversation=self.conversation,
                side=self.side,
                upto=content["upto"],
            )

    def _send(self, content: dict) -> str | None:
        body, key = content.get("body"), content.get("key")
        if not isinstance(body, str) or not isinstance(key, str | None):
            return str(translation.gettext("Write a message or add a picture."))
        self.conversation.refresh_from_db(fields=["blocked_at"])
        try:
            services.message_post(
                conversation=self.conversation,
                sender=self.scope["user"],
                side=self.side,
                body=body,
                form_key=key or "",
            )
        except services.ChatRefused as refused:
            return refused.message
        return None

    async def chat_messages(self, event: dict) -> None:
        rendered = await self.run(self._render, event["ids"])
        await self.send_json({"type": "messages", "messages": rendered})

    def _render(self, ids: list[int]) -> list[dict]:
        self.conversation.refresh_from_db()
        messages = selectors.messages_by_id(conversation=self.conversation, ids=ids)
        return [
            {
                "id": message.pk,
                "html": render_to_string(
                    "chat/_message.html",
                    {"message": message, "viewer_side": self.side, "city": self.city},
                ),
            }
            for message in messages
        ]

    async def chat_read(self, event: dict) -> None:
        if event["side"] != self.side:
            await self.send_json({"type": "read", "upto": event["upto"]})


class InboxConsumer(_TownConsumer):
    def join(self) -> list[str]:
        merchant, _role = selectors.access_inbox(
            user=self.scope["user"], code=self.scope["url_route"]["kwargs"]["code"]
        )
        return [realtime.inbox_group(merchant.pk)]

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The inbox only listens."""

    async def chat_messages(self, event: dict) -> None:
        await self.send_json({"type": "changed"})
