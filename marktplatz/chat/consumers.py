"""WebSockets of the chat (Django Channels).

``…/ws/chat/<conversation>/`` is held by a conversation's open page: it receives the new
messages, rendered for the side of the person holding it, and read receipts, and it may
send messages and read receipts itself (through the same services as the forms).
``…/ws/inbox/<business>/`` is held by a business's inbox: it hears that something
changed, and the page reloads its list. The town comes from the host or the first path
segment, as for pages; the person from the session cookie. Anybody who may not see the
conversation or inbox is refused before the socket opens: the server answers the
handshake with HTTP 403 (close code 4404 in Channels' terms; 4401 when not logged in)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation

from marktplatz.chat import realtime, selectors, services
from marktplatz.chat.models import Message
from marktplatz.cities.middleware import chosen_language
from marktplatz.cities.selectors import city_for_host, city_for_slug
from marktplatz.core.tenancy import city_scope, scopes_disabled


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


class _TownConsumer(AsyncJsonWebsocketConsumer):
    """Finds the town, the person and their language; runs sync code in the town's scope."""

    city: Any = None
    script_prefix = "/"
    # Each consumer's own: checks that the person may hold this socket (Http404 if not)
    # and answers the channel-layer groups it listens to.
    join: Callable[[], list[str]]
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
        cookie = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
        self.language = chosen_language(cookie, self.city)
        try:
            groups = await self.run(self.join)
        except Http404:
            await self.close(code=4404)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups = groups
        await self.accept()

    def scoped(self, function, *args: Any, **kwargs: Any) -> Any:
        """``function`` in the town's scope, language, time zone and address prefix."""
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

    async def run(self, function, *args: Any, **kwargs: Any) -> Any:
        """``function`` (which reads or writes the database) in a worker thread. Not the
        one thread Django's sync code shares by default: every socket's calls stand on
        their own, and a process holds hundreds of sockets."""
        return await database_sync_to_async(self.scoped, thread_sensitive=False)(
            function, *args, **kwargs
        )


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
            error, events = await self.run(self._collect, self._send, content)
            if error:
                await self.send_json({"type": "error", "message": error, "key": content.get("key")})
        elif content.get("type") == "read" and isinstance(content.get("upto"), int):
            _changed, events = await self.run(
                self._collect,
                services.conversation_read,
                conversation=self.conversation,
                side=self.side,
                upto=content["upto"],
                reader=self.scope["user"],
            )
        else:
            return
        for groups, event in events:
            for group in groups:
                await self.channel_layer.group_send(group, event)

    @staticmethod
    def _collect(function, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        """``function``'s answer and the real-time events of what it committed, which the
        consumer sends itself (see ``realtime.collected``)."""
        with realtime.collected() as events:
            answer = function(*args, **kwargs)
        return answer, events

    def _send(self, content: dict) -> str | None:
        body, key = content.get("body"), content.get("key")
        if not isinstance(body, str) or not isinstance(key, str | None):
            return str(translation.gettext("Write a message or add a picture."))
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
        # Rendered here, in order, from the event's fields: no database, no thread.
        rendered = self.scoped(self._render, event["messages"])
        await self.send_json({"type": "messages", "messages": rendered})

    def _render(self, fields: list[dict]) -> list[dict]:
        rendered = []
        for item in fields:
            message = Message(
                pk=item["id"],
                code=item["code"],
                side=item["side"],
                body=item["body"],
                image=item["image"],
                event=item.get("event"),
                created_at=dt.datetime.fromisoformat(item["created_at"]),
                conversation=self.conversation,
            )
            context = {"message": message, "viewer_side": self.side, "city": self.city}
            html = render_to_string("chat/_message.html", context)
            rendered.append({"id": message.pk, "html": html})
        return rendered

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
