"""Telling the open pages of a conversation, and the business's inbox, what changed: an
event on the channel layer once the change has committed (Redis in production, so that
every app server's WebSockets hear it; in memory in the demo's one process).

The events carry the new messages' fields; each WebSocket consumer renders them for its
own person, in their language, without reading them again (``chat.consumers``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# Inside ``collected()`` (a WebSocket consumer's own call) events are kept for the caller
# to send from its event loop, instead of blocking this thread until the loop has sent
# them.
_collecting: ContextVar[list | None] = ContextVar("marktplatz_chat_collecting", default=None)


@contextmanager
def collected() -> Iterator[list[tuple[list[str], dict[str, Any]]]]:
    """Keep the events of the committed changes in the block, as (groups, event)."""
    events: list[tuple[list[str], dict[str, Any]]] = []
    token = _collecting.set(events)
    try:
        yield events
    finally:
        _collecting.reset(token)


def _after_commit(groups: list[str], event: dict[str, Any]) -> None:
    events = _collecting.get()
    if events is not None:
        transaction.on_commit(lambda: events.append((groups, event)))
    else:
        transaction.on_commit(lambda: _send(groups, event))


def _fields(message: Any) -> dict[str, Any]:
    """What a consumer needs to render a message, without reading it again."""
    return {
        "id": message.pk,
        "code": message.code,
        "side": message.side,
        "body": message.body,
        "image": message.image.name if message.image else "",
        "event": message.event,
        "created_at": message.created_at.isoformat(),
    }


def publish_messages(conversation: Any, messages: list[Any]) -> None:
    """New messages of ``conversation`` (call inside the transaction that made them)."""
    _after_commit(
        [conversation_group(conversation.pk), inbox_group(conversation.merchant_id)],
        {
            "type": "chat.messages",
            "conversation": conversation.pk,
            "messages": [_fields(message) for message in messages],
        },
    )


def publish_read(conversation: Any, *, side: str, upto: int) -> None:
    _after_commit(
        [conversation_group(conversation.pk)],
        {"type": "chat.read", "side": side, "upto": upto},
    )
