"""The chat benchmark's anchor: the least a message costs on this server stack.

``…/ws/bench/relay/<pair>/`` joins the pair's group on the channel layer and relays every
text it receives to that group, unread: no session, no database, no rendering. bench/chat
drives it with the same clients, pairs and rate as the chat, so the two latencies show
what a chat message costs beyond the WebSocket and the Redis channel layer. Mounted only
with ``CHAT_BENCH_ANCHOR=true``, which nothing but the benchmark sets.
"""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class RelayAnchor(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"bench.{self.scope['url_route']['kwargs']['pair']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
        if text_data is not None:
            await self.channel_layer.group_send(self.group, {"type": "relay", "text": text_data})

    async def relay(self, event: dict) -> None:
        await self.send(text_data=event["text"])
