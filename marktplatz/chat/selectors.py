"""Reading conversations of the active town. A conversation is seen by its citizen and by
the staff of its business, nobody else (the operator sees only reported messages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from marktplatz.accounts.selectors import merchant_role
from marktplatz.chat.models import CannedReply, Conversation, InboxSettings, Message, MessageReport
from marktplatz.merchants.models import Merchant

State = Conversation.State
Side = Message.Side


def access_conversation(*, user: Any, code: str) -> tuple[Conversation, str]:
    """The conversation ``code`` and the side ``user`` is on in it (citizen or merchant);
    a 404 for anybody else, and for another town's conversation."""
    conversation = (
        Conversation.objects.filter(code=code)
        .select_related("merchant", "merchant__city", "citizen", "assignee")
        .first()
    )
    if conversation is None or not user.is_authenticated:
        raise Http404("no such conversation")
    if conversation.citizen_id == user.pk:
        return conversation, Side.CITIZEN
    if merchant_role(user=user, merchant=conversation.merchant) is not None:
        return conversation, Side.MERCHANT
    raise Http404("no such conversation")


def access_inbox(*, user: Any, code: str) -> tuple[Merchant, Any]:
    """The business ``code`` and ``user``'s role there; a 404 for anybody without one
    (the operator too: conversations are between citizens and businesses)."""
    merchant = Merchant.objects.filter(code=code).first()
    role = merchant_role(user=user, merchant=merchant) if merchant is not None else None
    if role is None:
        raise Http404("no such inbox")
    return merchant, role


def _unread(reader_field: str, sides: list[str]) -> Coalesce:
    later = (
        Message.objects.filter(
            conversation=OuterRef("pk"), side__in=sides, pk__gt=OuterRef(reader_field)
        )
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(later), 0)


def _last_message(field: str = "body") -> Subquery:
    return Subquery(
        Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values(field)[:1]
    )


def _previews() -> dict[str, Subquery]:
    """The last message's text, or the order its notice is about (none: a picture)."""
    return {"preview": _last_message(), "preview_order": _last_message("event__order")}


INBOX_FILTERS = ("open", "pending", "snoozed", "resolved", "mine", "all")


def inbox(*, merchant: Merchant, show: str, user: Any, now: dt.datetime) -> QuerySet[Conversation]:
    """The business's conversations for one tab of its inbox, the latest first; a
    snoozed one whose time has come is open."""
    rows = (
        Conversation.objects.filter(merchant=merchant, last_message_at__isnull=False)
        .select_related("citizen", "assignee")
        .annotate(unread=_unread("merchant_read", [Side.CITIZEN]), **_previews())
        .order_by(F("last_message_at").desc(nulls_last=True), "-pk")
    )
    woke = Q(state=State.SNOOZED, snoozed_until__lte=now)
    if show == "open":
        return rows.filter(Q(state=State.OPEN) | woke)
    if show == "snoozed":
        return rows.filter(state=State.SNOOZED, snoozed_until__gt=now)
    if show in (State.PENDING, State.RESOLVED):
        return rows.filter(state=show)
    if show == "mine":
        return rows.filter(assignee=user).exclude(state=State.RESOLVED)
    return rows


def inbox_counts(*, merchant: Merchant, user: Any, now: dt.datetime) -> dict[str, int]:
    return {
        show: inbox(merchant=merchant, show=show, user=user, now=now).count()
        for show in ("open", "mine")
    }


def conversations_of(*, citizen: Any) -> QuerySet[Conversation]:
    """A citizen's conversations in the active town, the latest first."""
    return (
        Conversation.objects.filter(citizen=citizen, last_message_at__isnull=False)
        .select_related("merchant")
        .annotate(unread=_unread("citizen_read", [Side.MERCHANT, Side.AUTO]), **_previews())
        .order_by(F("last_message_at").desc(nulls_last=True), "-pk")
    )


def messages_of(*, conversation: Conversation, after: int = 0, last: int = 200) -> list[Message]:
    """The ``last`` latest messages after the id ``after``, oldest first."""
    rows = Message.objects.filter(conversation=conversation, pk__gt=after).select_related("sender")
    return list(reversed(rows.order_by("-pk")[:last]))


def message_in(*, conversation: Conversation, code: str) -> Message:
    message = Message.objects.filter(conversation=conversation, code=code).first()
    if message is None:
        raise Http404("no such message")
    return message


def staff_of(*, merchant: Merchant) -> list[Any]:
    """The people with a role at the business, by e-mail."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model().objects.filter(roles__merchant=merchant).distinct().order_by("email")
    )


def canned_replies(*, merchant: Merchant) -> QuerySet[CannedReply]:
    return CannedReply.objects.filter(merchant=merchant).order_by("title")


def canned_reply_of(*, merchant: Merchant, code: str) -> CannedReply:
    reply = CannedReply.objects.filter(merchant=merchant, code=code).first()
    if reply is None:
        raise Http404("no such reply")
    return reply


def away_message_of(*, merchant: Merchant) -> str:
    return (
        InboxSettings.objects.filter(merchant=merchant)
        .values_list("away_message", flat=True)
        .first()
        or ""
    )


def reports(*, handled: bool) -> QuerySet[MessageReport]:
    """The town's reported messages (the operator's list), the newest first."""
    return (
        MessageReport.objects.filter(handled_at__isnull=not handled)
        .select_related(
            "message", "message__conversation__merchant", "message__conversation__citizen",
            "reporter", "handled_by",
        )
        .order_by("-created_at")
    )  # fmt: skip


def report_of(*, code: str) -> MessageReport:
    report = MessageReport.objects.filter(code=code).select_related("message__conversation").first()
    if report is None:
        raise Http404("no such report")
    return report
