"""Telling the open pages of a conversation, and the business's inbox, what changed: an
event on the channel layer once the change has committed (Redis in production, so that
every app server's WebSockets hear it; in memory in the demo's one process).

The events carry ids only; each WebSocket consumer reads and renders what its own person
may see (``chat.consumers``)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger("marktplatz.chat")


def conversation_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def inbox_group(merchant_id: int) -> str:
    return f"inbox.{merchant_id}"


def _send(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, event)
        except Exception:  # the message is stored: pages that missed it fetch it by polling
            log.exception("real-time delivery to %s failed", group)


def _after_commit(groups: list[str], event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send(groups, event))


def publish_messages(conversation: Any, message_ids: list[int]) -> None:
    """New messages of ``conversation`` (call inside the transaction that made them)."""
    _after_commit(
        [conversation_group(conversation.pk), inbox_group(conversation.merchant_id)],
        {"type": "chat.messages", "ids": message_ids, "conversation": conversation.pk},
    )


def publish_read(conversation: Any, *, side: str, upto: int) -> None:
    _after_commit(
        [conversation_group(conversation.pk)],
        {"type": "chat.read", "side": side, "upto": upto},
    )
