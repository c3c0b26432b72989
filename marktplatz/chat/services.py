"""Writes of the chat. A message is posted by the same service whether it comes from a
form, htmx or the WebSocket; each answers a repeated request like the first (the same
form key posts one message) and tells the other side in real time (``chat.realtime``)
once its transaction has committed. Staff actions are audit-logged."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.accounts.selectors import merchant_role, merchant_staff_ids
from marktplatz.audit.services import audit_record
from marktplatz.chat import realtime
from marktplatz.chat.models import (
    MAX_MESSAGE_CHARS,
    CannedReply,
    Conversation,
    InboxSettings,
    Message,
    MessageReport,
)
from marktplatz.core.images import image_clean
from marktplatz.core.once import row_once
from marktplatz.core.throttle import count_attempt, over_limit
from marktplatz.merchants.hours import is_open_at
from marktplatz.notifications.models import Kind
from marktplatz.notifications.paths import town_path
from marktplatz.notifications.services import notifications_read, notify

# The away message goes out at most once in this time per conversation.
AWAY_EVERY = dt.timedelta(hours=12)
State = Conversation.State
Side = Message.Side


class ChatRefused(Exception):
    """Why a message or an action is refused, in the person's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def conversation_open(*, citizen: Any, merchant: Any) -> Conversation:
    """The conversation of ``citizen`` with ``merchant``, made on first use."""
    return row_once(Conversation, city=merchant.city, citizen=citizen, merchant=merchant)[0]


def _clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").strip()
    if len(body) > MAX_MESSAGE_CHARS:
        raise ChatRefused(
            _("A message can have at most %(n)s characters.") % {"n": MAX_MESSAGE_CHARS}
        )
    return body


def _throttle(sender: Any) -> None:
    scope = f"chat:user:{sender.pk}"
    if over_limit(scope, settings.CHAT_MESSAGES_PER_MINUTE):
        raise ChatRefused(_("You are sending messages too fast. Please wait a minute."))
    count_attempt(scope, 60)


def _open_now(merchant: Any, now: dt.datetime) -> bool:
    local = now.astimezone(zoneinfo.ZoneInfo(merchant.city.time_zone))
    return is_open_at(merchant.opening_hours, local)


def message_post(
    *,
    conversation: Conversation,
    sender: Any,
    side: str,
    body: str = "",
    image: Any = None,
    form_key: str = "",
    now: dt.datetime | None = None,
) -> tuple[Message, bool]:
    """Post a message of ``sender`` on ``side`` (citizen or merchant); whether this call
    posted it (a repeat of the same ``form_key`` returns the first message).

    Refused (ChatRefused, nothing stored): an empty or over-long message, a picture that
    cannot be read or is too big, a citizen the business has blocked, more than
    ``CHAT_MESSAGES_PER_MINUTE`` messages a minute. A citizen's message reopens the
    conversation; outside the opening hours it is answered once by the away message.
    """
    now = now or timezone.now()
    form_key = (form_key or "")[:64]
    if form_key:
        earlier = Message.objects.filter(conversation=conversation, form_key=form_key).first()
        if earlier is not None:
            return earlier, False
    body = _clean_body(body)
    picture = None
    if image:
        try:
            picture = image_clean(image, max_side=1600, name="chat")
        except ValidationError as error:
            raise ChatRefused(" ".join(error.messages)) from None
    if not body and picture is None:
        raise ChatRefused(_("Write a message or add a picture."))
    if side == Side.CITIZEN and conversation.blocked_at is not None:
        raise ChatRefused(_("This business does not take messages from you."))
    _throttle(sender)
    try:
        with transaction.atomic():
            message = Message(
                city=conversation.city,
                conversation=conversation,
                side=side,
                sender=sender,
                body=body,
                form_key=form_key,
            )
            if picture is not None:
                message.image.save(picture.name, picture, save=False)
            message.save()
            posted = [message]
            # Unless the business blocked the citizen meanwhile, which rolls the message
            # back.
            if not _conversation_touch(conversation, message, now, unless_blocked=True):
                raise _Blocked
            away = _away_message(conversation, now) if side == Side.CITIZEN else None
            if away is not None:
                posted.append(
                    Message.objects.create(
                        city=conversation.city, conversation=conversation, side=Side.AUTO,
                        body=away,
                    )
                )  # fmt: skip
            realtime.publish_messages(conversation, posted)
            _tell_the_other_side(conversation, message)
    except _Blocked:
        raise ChatRefused(_("This business does not take messages from you.")) from None
    except IntegrityError:
        # The same form, sent twice at once: the other request posted it.
        return Message.objects.get(conversation=conversation, form_key=form_key), False
    return message, True


class _Blocked(Exception):
    pass


def _conversation_touch(
    conversation: Conversation, message: Message, now: dt.datetime, *, unless_blocked: bool
) -> int:
    """One statement updates the conversation for a new message (and takes its row
    lock): its sender has read it, and the citizen's message reopens the conversation.
    ``unless_blocked``: not for a blocked citizen (0 rows)."""
    rows = Conversation.objects.filter(pk=conversation.pk)
    changes: dict[str, Any] = {"last_message_at": now}
    if message.side == Side.CITIZEN:
        if unless_blocked:
            rows = rows.filter(blocked_at__isnull=True)
        changes.update(
            citizen_read=Greatest("citizen_read", message.pk), state=State.OPEN, snoozed_until=None
        )
    else:
        changes["merchant_read"] = Greatest("merchant_read", message.pk)
    return rows.update(**changes)


def _tell_the_other_side(conversation: Conversation, message: Message) -> None:
    """A notification for the other side (the business's staff, or the citizen)."""
    if message.side == Side.CITIZEN:
        people, sender = merchant_staff_ids(merchant=conversation.merchant), _("A customer")
    else:
        people, sender = [conversation.citizen_id], conversation.merchant.name
    notify(
        city=conversation.city,
        user_ids=people,
        kind=Kind.CHAT,
        event={"sender": str(sender), "preview": message.body[:120] or "📷",
               "conversation": conversation.code},
        url=town_path("conversation", conversation.code),
    )  # fmt: skip


def notice_post(
    *, conversation: Conversation, side: str, sender: Any, event: dict[str, Any]
) -> Message:
    """Post a notice of ``side`` into the conversation (an order's step), told to both
    sides like a message; call it inside the transaction of the change it tells of."""
    message = Message.objects.create(
        city=conversation.city, conversation=conversation, side=side, sender=sender, event=event
    )
    _conversation_touch(conversation, message, timezone.now(), unless_blocked=False)
    realtime.publish_messages(conversation, [message])
    return message


def _away_message(conversation: Conversation, now: dt.datetime) -> str | None:
    """The away text to send now, if the business is closed, has an away message and has
    not sent it in the conversation lately (claimed by a conditional update, so two
    messages at once send it once). Call inside the transaction of the message."""
    merchant = conversation.merchant
    if not merchant.opening_hours or _open_now(merchant, now):
        return None
    text = (
        InboxSettings.objects.filter(merchant=merchant)
        .values_list("away_message", flat=True)
        .first()
    )
    if not text:
        return None
    claimed = (
        Conversation.objects.filter(pk=conversation.pk)
        .filter(Q(away_sent_at__isnull=True) | Q(away_sent_at__lt=now - AWAY_EVERY))
        .update(away_sent_at=now)
    )
    return text if claimed else None


def conversation_read(
    *, conversation: Conversation, side: str, upto: int, reader: Any = None
) -> bool:
    """``side`` has read the messages up to ``upto`` (an id); whether that was news. The
    ``reader``'s chat notifications of the conversation are read with it."""
    field = "citizen_read" if side == Side.CITIZEN else "merchant_read"
    last = (
        Message.objects.filter(conversation=conversation, pk__lte=upto)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if last is None:
        return False
    if reader is not None:
        notifications_read(
            user=reader, kind=Kind.CHAT, url=town_path("conversation", conversation.code)
        )
    with transaction.atomic():
        changed = Conversation.objects.filter(pk=conversation.pk, **{f"{field}__lt": last}).update(
            **{field: last}
        )
        if changed:
            realtime.publish_read(conversation, side=side, upto=last)
    return bool(changed)


def conversation_set_state(
    *, conversation: Conversation, state: str, actor: Any, snoozed_until: dt.datetime | None = None
) -> bool:
    """Staff set the state; snoozing needs a time in the future. Whether it changed."""
    if state not in State.values:
        raise ChatRefused(_("Choose a state."))
    if state == State.SNOOZED:
        if snoozed_until is None or snoozed_until <= timezone.now():
            raise ChatRefused(_("Choose a time in the future to snooze until."))
    else:
        snoozed_until = None
    with transaction.atomic():
        changed = (
            Conversation.objects.filter(pk=conversation.pk)
            .exclude(state=state, snoozed_until=snoozed_until)
            .update(state=state, snoozed_until=snoozed_until)
        )
        if changed:
            conversation.state, conversation.snoozed_until = state, snoozed_until
            audit_record(
                city=conversation.city,
                actor=actor,
                action="conversation.state",
                obj=conversation,
                data={
                    "state": state,
                    "snoozed_until": snoozed_until.isoformat() if snoozed_until else None,
                },
            )
    return bool(changed)


def conversation_assign(*, conversation: Conversation, assignee: Any, actor: Any) -> bool:
    """Assign to a staff member of the business (or to nobody); whether it changed."""
    if (
        assignee is not None
        and merchant_role(user=assignee, merchant=conversation.merchant) is None
    ):
        raise ChatRefused(_("Only staff of this business can be assigned."))
    assignee_id = assignee.pk if assignee is not None else None
    with transaction.atomic():
        changed = (
            Conversation.objects.filter(pk=conversation.pk)
            .exclude(assignee_id=assignee_id)
            .update(assignee_id=assignee_id)
        )
        if changed:
            conversation.assignee = assignee
            audit_record(
                city=conversation.city,
                actor=actor,
                action="conversation.assigned",
                obj=conversation,
                data={"assignee": assignee.email if assignee else None},
            )
    return bool(changed)


def citizen_block(*, conversation: Conversation, blocked: bool, actor: Any) -> bool:
    """The business blocks (or unblocks) the citizen; whether it changed."""
    with transaction.atomic():
        rows = Conversation.objects.filter(pk=conversation.pk, blocked_at__isnull=blocked)
        changed = rows.update(blocked_at=timezone.now() if blocked else None)
        if changed:
            conversation.refresh_from_db(fields=["blocked_at"])
            audit_record(
                city=conversation.city,
                actor=actor,
                action="conversation.blocked" if blocked else "conversation.unblocked",
                obj=conversation,
            )
    return bool(changed)


def message_report(*, message: Message, reporter: Any, reason: str = "") -> MessageReport:
    """Report ``message`` to the operator (once per person and message)."""
    reason = (reason or "").replace("\x00", "").strip()[:300]

    def audited() -> None:
        audit_record(
            city=message.city, actor=reporter, action="message.reported", obj=message.conversation
        )

    report, created = row_once(
        MessageReport, city=message.city, message=message, reporter=reporter, then=audited
    )
    if created and reason:
        MessageReport.objects.filter(pk=report.pk).update(reason=reason)
        report.reason = reason
    return report


def report_handle(*, report: MessageReport, actor: Any) -> bool:
    """The operator has looked at the report; whether this call marked it."""
    with transaction.atomic():
        changed = MessageReport.objects.filter(pk=report.pk, handled_at__isnull=True).update(
            handled_at=timezone.now(), handled_by=actor
        )
        if changed:
            audit_record(
                city=report.city,
                actor=actor,
                action="message.report_handled",
                obj=report.message.conversation,
            )
    return bool(changed)


def canned_reply_save(
    *, merchant: Any, title: str, body: str, actor: Any, reply: CannedReply | None = None
) -> CannedReply:
    title, body = (title or "").strip(), _clean_body(body)
    if not title or not body:
        raise ChatRefused(_("A canned reply needs a title and a text."))
    duplicate = CannedReply.objects.filter(merchant=merchant, title=title)
    if reply is not None:
        duplicate = duplicate.exclude(pk=reply.pk)
    if duplicate.exists():
        raise ChatRefused(_("There is a canned reply with this title already."))
    with transaction.atomic():
        reply = reply or CannedReply(city=merchant.city, merchant=merchant)
        reply.title, reply.body = title[:60], body
        reply.save()
        audit_record(city=merchant.city, actor=actor, action="canned_reply.saved", obj=reply)
    return reply


def canned_reply_delete(*, reply: CannedReply, actor: Any) -> None:
    with transaction.atomic():
        audit_record(city=reply.city, actor=actor, action="canned_reply.deleted", obj=reply)
        reply.delete()


def away_message_save(*, merchant: Any, text: str, actor: Any) -> InboxSettings:
    text = (text or "").replace("\x00", "").strip()
    if len(text) > 500:
        raise ChatRefused(_("The away message can have at most 500 characters."))
    row = row_once(InboxSettings, city=merchant.city, merchant=merchant)[0]
    with transaction.atomic():
        row.away_message = text
        row.save(update_fields=["away_message", "updated_at"])
        audit_record(city=merchant.city, actor=actor, action="inbox.away_message", obj=merchant)
    return row
