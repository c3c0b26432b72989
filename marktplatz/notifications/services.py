"""Telling people: ``notify`` stores the in-app notifications and, after the commit,
queues what goes out by e-mail and Web Push to those who consented. Chat messages are
mailed in one batch ``CHAT_EMAIL_DELAY_SECONDS`` after the first unread one (and not at
all if read by then); other kinds are mailed one by one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from marktplatz.audit.services import audit_record
from marktplatz.notifications.models import (
    Channel,
    Kind,
    Notification,
    Preference,
    PushSubscription,
)


class SubscriptionRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _consents(*, kind: str, user_ids: Iterable[int] | None = None) -> dict[str, set[int]]:
    """Who chose each way out (e-mail, push) for ``kind``, of ``user_ids`` or of all; only
    by consent, never by default."""
    rows = Preference.objects.filter(kind=kind, enabled=True)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    chosen: dict[str, set[int]] = {channel: set() for channel in Channel.values}
    for user_id, channel in rows.values_list("user_id", "channel"):
        chosen[channel].add(user_id)
    return chosen


QUEUE_CHUNK = 500  # notifications per push or e-mail task


def _queue_after_commit(*, city: Any, kind: str, push: list[int], mail: dict[int, int]) -> None:
    """After the commit: the push tasks of the notifications ``push``, and the e-mails of
    ``mail`` (person → notification): chat messages in one batch per person
    ``CHAT_EMAIL_DELAY_SECONDS`` after the first unread one, other kinds at once."""

    def queue() -> None:
        from marktplatz.notifications import tasks

        for start in range(0, len(push), QUEUE_CHUNK):
            tasks.push_send.enqueue(push[start : start + QUEUE_CHUNK])
        if kind == Kind.CHAT:
            delay = settings.CHAT_EMAIL_DELAY_SECONDS
            for pk in sorted(mail):
                # One batch per person at a time: the first unread message starts it.
                if cache.add(f"notifications:chat-mail:{city.pk}:{pk}", 1, delay + 30):
                    run_after = timezone.now() + timezone.timedelta(seconds=delay)
                    tasks.chat_mail.using(run_after=run_after).enqueue(city.pk, pk)
            return
        ids = [mail[pk] for pk in sorted(mail)]
        for start in range(0, len(ids), QUEUE_CHUNK):
            tasks.mail_send.enqueue(ids[start : start + QUEUE_CHUNK])

    if push or mail:
        transaction.on_commit(queue)


def notify(
    *, city: Any, user_ids: Iterable[int], kind: str, event: dict[str, Any], url: str
) -> list[Notification]:
    """One in-app notification per person; e-mail and push after the commit, to those
    who chose them. Call it inside the transaction of what it tells of."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(city=city, user_id=pk, kind=kind, event=event, url=url) for pk in ids]
    )
    by_user = {row.user_id: row.pk for row in rows}
    chosen = _consents(kind=kind, user_ids=ids)
    _queue_after_commit(
        city=city,
        kind=kind,
        push=[by_user[pk] for pk in sorted(chosen[Channel.PUSH])],
        mail={pk: by_user[pk] for pk in chosen[Channel.EMAIL]},
    )
    return rows


def notify_many(*, city: Any, user_ids: Any, kind: str, event: dict[str, Any], url: str) -> int:
    """``notify`` for very many people at once (an offer to every follower): the rows are
    written by one ``INSERT … SELECT`` from ``user_ids`` (a query of one column of user
    ids, e.g. ``Follow.objects.values_list("user_id")``), never loaded into Python; pushes
    and e-mails for those who consented are queued after the commit. How many were
    notified."""
    from django.db import connection

    table = Notification._meta.db_table
    inner, params = user_ids.query.sql_with_params()
    now = timezone.now()
    payload = json.dumps(event)
    as_json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {table} (city_id, user_id, kind, event, url, created_at) "  # noqa: S608
        f"SELECT DISTINCT %s, chosen.user_id, %s, {as_json}, %s, %s FROM ({inner}) AS chosen"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        stamp = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(sql, [city.pk, kind, payload, url, stamp, *params])
        count = cursor.rowcount
        chosen = _consents(kind=kind)
        consenting = chosen[Channel.PUSH] | chosen[Channel.EMAIL]
        # The few who consented, as a list: the planner then reads their rows by the
        # person's index instead of scanning the rows just written.
        by_user = dict(
            Notification.objects.filter(
                city=city, kind=kind, url=url, created_at=now, user_id__in=list(consenting)
            ).values_list("user_id", "pk")
        ) if consenting else {}  # fmt: skip
        _queue_after_commit(
            city=city,
            kind=kind,
            push=[by_user[pk] for pk in sorted(chosen[Channel.PUSH]) if pk in by_user],
            mail={pk: by_user[pk] for pk in chosen[Channel.EMAIL] if pk in by_user},
        )
    return count


def notifications_read(*, user: Any, kind: str | None = None, url: str | None = None) -> int:
    """Mark ``user``'s unread notifications read (of a kind, or leading to a page)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if url is not None:
        rows = rows.filter(url=url)
    return rows.update(read_at=timezone.now())


def preferences_save(
    *, city: Any, user: Any, chosen: set[tuple[str, str]], text: str, source: str
) -> int:
    """Save ``user``'s channels: ``chosen`` holds (kind, channel) pairs switched on, all
    others off. Each change records the consent (or its withdrawal): the text shown, the
    page and address it came from, the language. How many changed."""
    current = {(p.kind, p.channel): p for p in Preference.objects.filter(user=user)}
    language = translation.get_language() or ""
    changed = 0
    with transaction.atomic():
        for kind in Kind.values:
            for channel in Channel.values:
                wanted = (kind, channel) in chosen
                row = current.get((kind, channel))
                if row is None and not wanted:
                    continue
                if row is not None and row.enabled == wanted:
                    continue
                row = row or Preference(city=city, user=user, kind=kind, channel=channel)
                row.enabled, row.consent_text = wanted, text[:300]
                row.consent_source, row.language = source[:120], language
                row.save()
                changed += 1
                audit_record(
                    city=city, actor=user,
                    action="notifications.consent" if wanted else "notifications.withdrawn",
                    data={"kind": kind, "channel": channel, "source": source[:120]},
                )  # fmt: skip
    return changed


def push_subscribe(
    *, city: Any, user: Any, subscription: Any, user_agent: str = ""
) -> PushSubscription:
    """Keep a browser's push subscription (the JSON of ``PushSubscription.toJSON()``)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator
    from django.utils.translation import gettext as _

    try:
        endpoint = subscription["endpoint"]
        keys = subscription["keys"]
        p256dh, auth = keys["p256dh"], keys["auth"]
        URLValidator(schemes=["https", "http"])(endpoint)
    except (KeyError, TypeError, ValidationError):
        raise SubscriptionRefused(_("This is not a push subscription.")) from None
    if (
        not (isinstance(p256dh, str) and isinstance(auth, str))
        or len(p256dh) > 200
        or len(auth) > 50
    ):
        raise SubscriptionRefused(_("This is not a push subscription."))
    if endpoint.startswith("http:") and not settings.PUSH_ALLOW_HTTP:
        raise SubscriptionRefused(_("A push service must be reached over HTTPS."))
    with transaction.atomic():
        row, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"city": city, "user": user, "p256dh": p256dh, "auth": auth,
                      "user_agent": user_agent[:200]},
        )  # fmt: skip
    return row


def push_unsubscribe(*, user: Any, endpoint: str) -> bool:
    return bool(PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()[0])
