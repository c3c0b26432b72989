"""What the task worker sends: Web Push messages (RFC 8030, encrypted by RFC 8291
aes128gcm, signed by VAPID), the batched e-mail of unread chat messages, and e-mails of
other notifications. Each is written in the language the person chose the channel in."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from marktplatz.cities.models import City
from marktplatz.core.tenancy import city_scope, scopes_disabled
from marktplatz.notifications import vapid
from marktplatz.notifications.models import (
    Channel,
    Kind,
    Notification,
    Preference,
    PushSubscription,
)
from marktplatz.notifications.paths import town_path
from marktplatz.notifications.texts import body_of, title_of

log = logging.getLogger("marktplatz.notifications")
PUSH_TIMEOUT_SECONDS = 10
GONE = {404, 410}  # the subscription no longer exists (RFC 8030 §7.3)


def _language(city: City, user_id: int, kind: str, channel: str) -> str:
    chosen = (
        Preference.objects.filter(user_id=user_id, kind=kind, channel=channel)
        .exclude(language="")
        .values_list("language", flat=True)
        .first()
    )
    return chosen or city.default_language


def _content(notification: Notification) -> dict[str, str]:
    """What a push or an e-mail says of a notification, in the active language."""
    return {
        "title": title_of(notification.kind, notification.event),
        "body": body_of(notification.kind, notification.event),
        "url": notification.city.absolute_url(notification.url),
    }


def _payload(notification: Notification) -> str:
    return json.dumps({**_content(notification), "tag": f"{notification.kind}:{notification.pk}"})


@task()
def push_send(notification_ids: list[int]) -> dict[str, int]:
    """Push each notification to every subscription of its person; a subscription the push
    service answers 404 or 410 for is deleted."""
    sent = gone = failed = 0
    signer = Vapid02.from_pem(vapid.private_key_pem().encode())
    with scopes_disabled():
        rows = Notification.objects.filter(pk__in=notification_ids).select_related("city")
        for notification in rows:
            city = notification.city
            language = _language(city, notification.user_id, notification.kind, Channel.PUSH)
            with city_scope(city), translation.override(language):
                data = _payload(notification)
            for subscription in PushSubscription.objects.filter(user_id=notification.user_id):
                info = {"endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}  # fmt: skip
                try:
                    webpush(
                        subscription_info=info,
                        data=data,
                        vapid_private_key=signer,
                        vapid_claims={"sub": settings.VAPID_SUBJECT},
                        ttl=24 * 3600,
                        timeout=PUSH_TIMEOUT_SECONDS,
                    )
                except WebPushException as error:
                    status = getattr(error.response, "status_code", None)
                    if status in GONE:
                        subscription.delete()
                        gone += 1
                    else:
                        log.warning("push to %s failed: %s", subscription.endpoint[:60], status)
                        failed += 1
                    continue
                except OSError as error:  # the push service cannot be reached
                    log.warning("push to %s failed: %s", subscription.endpoint[:60], error)
                    failed += 1
                    continue
                PushSubscription.objects.filter(pk=subscription.pk).update(
                    last_sent_at=timezone.now()
                )
                sent += 1
    return {"sent": sent, "gone": gone, "failed": failed}


def _mail(city: City, user, language: str, subject: str, lines: list[dict]) -> None:
    settings_url = city.absolute_url(town_path("notification_settings"))
    with city_scope(city), translation.override(language):
        body = render_to_string(
            "notifications/email.txt",
            {"city": city, "lines": lines, "settings_url": settings_url},
        )
    EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    ).send(fail_silently=False)


def _lines(rows) -> list[dict]:
    return [_content(row) for row in rows]


@task()
def chat_mail(city_id: int, user_id: int) -> int:
    """One e-mail with every chat message ``user`` has not read (nor been mailed) by now;
    none when all are read. How many messages it named. The rows stay locked while the
    mail goes out and are marked with it, so a task run twice mails them once."""
    with scopes_disabled():
        cache.delete(f"notifications:chat-mail:{city_id}:{user_id}")
        city = City.objects.get(pk=city_id)
        if not Preference.objects.filter(
            user_id=user_id, kind=Kind.CHAT, channel=Channel.EMAIL, enabled=True
        ).exists():
            return 0
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(city_id=city_id, user_id=user_id, kind=Kind.CHAT, read_at__isnull=True,
                        emailed_at__isnull=True)
                .select_related("user", "city").order_by("pk")
            )  # fmt: skip
            if not rows:
                return 0
            language = _language(city, user_id, Kind.CHAT, Channel.EMAIL)
            with city_scope(city), translation.override(language):
                lines = _lines(rows)
                subject = translation.ngettext(
                    "%(n)s unread message at %(town)s",
                    "%(n)s unread messages at %(town)s",
                    len(rows),
                ) % {"n": len(rows), "town": city.name}
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                emailed_at=timezone.now()
            )
            _mail(city, rows[0].user, language, subject, lines)
    return len(rows)


@task()
def mail_send(notification_ids: list[int]) -> int:
    """An e-mail per notification not mailed yet (a task run twice mails none twice)."""
    sent = 0
    with scopes_disabled():
        for pk in notification_ids:
            with transaction.atomic():
                row = (
                    Notification.objects.select_for_update(of=("self",))
                    .filter(pk=pk, emailed_at__isnull=True)
                    .select_related("user", "city")
                    .first()
                )
                if row is None:
                    continue
                language = _language(row.city, row.user_id, row.kind, Channel.EMAIL)
                with city_scope(row.city), translation.override(language):
                    lines = _lines([row])
                Notification.objects.filter(pk=pk).update(emailed_at=timezone.now())
                _mail(row.city, row.user, language, lines[0]["title"], lines)
                sent += 1
    return sent
