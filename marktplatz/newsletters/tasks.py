"""Sending an issue: in batches, each recipient claimed by a ``Delivery`` row committed
before the mail goes out (a task retried, or run twice, skips everybody claimed), with
the one-click unsubscribe headers of RFC 8058 and RFC 2369 on every mail."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from marktplatz.core.tenancy import city_scope, scopes_disabled
from marktplatz.newsletters.models import Delivery, Issue, Subscriber
from marktplatz.newsletters.services import link_of

log = logging.getLogger("marktplatz.newsletters")
BATCH = 100


def _message(issue: Issue, subscriber: Subscriber) -> EmailMessage:
    unsubscribe = link_of(subscriber, "newsletter_unsubscribe")
    with translation.override(subscriber.language or issue.city.default_language):
        body = render_to_string(
            "newsletters/issue_email.txt",
            {"issue": issue, "newsletter": issue.newsletter, "unsubscribe": unsubscribe},
        )
    host = issue.city.domain or "marktplatz.invalid"
    return EmailMessage(
        subject=issue.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<{issue.newsletter.code}.{issue.city.slug}.{host}>",
            "Precedence": "bulk",
        },
    )


def _claim(issue: Issue, subscriber: Subscriber) -> Delivery | None:
    try:
        with transaction.atomic():
            return Delivery.objects.create(issue=issue, subscriber=subscriber)
    except IntegrityError:
        return None  # claimed already (a retry, or another worker)


@task()
def issue_deliver(issue_id: int) -> int:
    """Mail the issue to every confirmed subscriber not claimed yet; how many it mailed."""
    sent = 0
    with scopes_disabled():
        issue = Issue.objects.select_related("newsletter", "city").filter(pk=issue_id).first()
        if issue is None or issue.status != Issue.Status.SENDING:
            return 0
        with city_scope(issue.city):
            while True:
                waiting = list(
                    Subscriber.objects.filter(
                        newsletter=issue.newsletter, status=Subscriber.Status.CONFIRMED
                    )
                    .exclude(pk__in=Delivery.objects.filter(issue=issue).values("subscriber_id"))
                    .order_by("pk")[:BATCH]
                )
                if not waiting:
                    break
                for subscriber in waiting:
                    delivery = _claim(issue, subscriber)
                    if delivery is None:
                        continue
                    try:
                        _message(issue, subscriber).send(fail_silently=False)
                    except (smtplib.SMTPException, OSError) as error:
                        log.warning(
                            "newsletter %s to %s failed: %s", issue.code, subscriber.pk, error
                        )
                        Delivery.objects.filter(pk=delivery.pk).update(error=str(error)[:200])
                        continue
                    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
                    sent += 1
            Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
                status=Issue.Status.SENT, sent_at=timezone.now()
            )
    return sent
