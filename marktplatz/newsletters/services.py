"""Writes of the newsletters: subscribing (double opt-in: a confirmation mail with no
advertising, the consent recorded), confirming, unsubscribing in one click (RFC 8058),
writing an issue and sending it by a background task (``newsletters.tasks``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from marktplatz.audit.services import audit_record
from marktplatz.core.once import row_once
from marktplatz.newsletters.models import Issue, Newsletter, Subscriber
from marktplatz.notifications.paths import town_path

Status = Subscriber.Status
CONFIRM_MAIL_EVERY = 600  # seconds: one confirmation mail per address in this time


class NewsletterRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def newsletter_of(*, city: Any, merchant: Any = None) -> Newsletter:
    return row_once(Newsletter, city=city, merchant=merchant)[0]


def token_of(subscriber: Subscriber) -> str:
    """The secret of a subscriber's confirm and unsubscribe links (kept nowhere: made
    again from the code and the site's secret key)."""
    return salted_hmac("newsletters.subscriber", subscriber.code).hexdigest()[:32]


def token_valid(subscriber: Subscriber, token: str) -> bool:
    return constant_time_compare(token_of(subscriber), token or "")


def link_of(subscriber: Subscriber, name: str) -> str:
    """The full address of a subscriber's confirm or unsubscribe page."""
    return subscriber.city.absolute_url(town_path(name, subscriber.code, token_of(subscriber)))


def consent_text(newsletter: Newsletter) -> str:
    return _(
        "I would like to receive the newsletter of %(name)s by e-mail. I can unsubscribe "
        "at any time with the link in every newsletter."
    ) % {"name": newsletter.name()}


def subscribe(*, newsletter: Newsletter, email: str, source: str) -> Subscriber:
    """Ask to subscribe ``email``: recorded with the consent, and a confirmation mail
    (only the link, no advertising) at most every ten minutes per address. The same
    answer whatever the address's state, so nobody learns who is subscribed."""
    email = email.strip().lower()
    now = timezone.now()
    language = translation.get_language() or newsletter.city.default_language
    fields = {"requested_at": now, "consent_text": consent_text(newsletter)[:400],
              "consent_source": source[:200], "language": language}  # fmt: skip
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .filter(newsletter=newsletter, email=email)
            .first()
        )
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        city=newsletter.city, newsletter=newsletter, email=email, **fields
                    )
            except IntegrityError:  # the same form sent twice at once
                subscriber = Subscriber.objects.get(newsletter=newsletter, email=email)
        elif subscriber.status != Status.CONFIRMED:
            for name, value in fields.items():
                setattr(subscriber, name, value)
            subscriber.status = Status.PENDING
            subscriber.save()
        if subscriber.status == Status.CONFIRMED:
            return subscriber
        audit_record(city=newsletter.city, actor=None, action="newsletter.requested",
                     obj=newsletter, data={"source": source[:200]})  # fmt: skip
        if cache.add(f"newsletters:confirm:{subscriber.pk}", 1, CONFIRM_MAIL_EVERY):
            link = link_of(subscriber, "newsletter_confirm")
            with translation.override(language):
                body = render_to_string(
                    "newsletters/confirm_email.txt",
                    {"newsletter": newsletter, "link": link, "city": newsletter.city},
                )
                subject = _("Please confirm: newsletter of %(name)s") % {"name": newsletter.name()}
            message = EmailMessage(subject=subject, body=body,
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[email])  # fmt: skip
            transaction.on_commit(lambda: message.send(fail_silently=False))
    return subscriber


def confirm(*, subscriber: Subscriber, source: str) -> bool:
    """The link in the confirmation mail, confirmed; whether this call confirmed it."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(pk=subscriber.pk, status=Status.PENDING).update(
            status=Status.CONFIRMED, confirmed_at=timezone.now(), confirmed_from=source[:60]
        )
        if changed:
            audit_record(city=subscriber.city, actor=None, action="newsletter.confirmed",
                         obj=subscriber.newsletter)  # fmt: skip
    subscriber.refresh_from_db()
    return bool(changed)


def unsubscribe(*, subscriber: Subscriber) -> bool:
    with transaction.atomic():
        changed = (
            Subscriber.objects.filter(pk=subscriber.pk)
            .exclude(status=Status.UNSUBSCRIBED)
            .update(status=Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
        )
        if changed:
            audit_record(city=subscriber.city, actor=None, action="newsletter.unsubscribed",
                         obj=subscriber.newsletter)  # fmt: skip
    subscriber.refresh_from_db()
    return bool(changed)


def issue_save(*, newsletter: Newsletter, actor: Any, subject: str, body: str,
               form_key: str = "", issue: Issue | None = None) -> Issue:  # fmt: skip
    subject, body = (subject or "").strip(), (body or "").replace("\x00", "").strip()
    if not subject or not body:
        raise NewsletterRefused(_("A newsletter needs a subject and a text."))
    if issue is None and form_key:
        earlier = Issue.objects.filter(newsletter=newsletter, form_key=form_key).first()
        if earlier is not None:
            return earlier
    if issue is not None and issue.status != Issue.Status.DRAFT:
        raise NewsletterRefused(_("This newsletter is sent already and cannot be changed."))
    with transaction.atomic():
        issue = issue or Issue(city=newsletter.city, newsletter=newsletter, created_by=actor,
                               form_key=form_key[:64])  # fmt: skip
        issue.subject, issue.body = subject[:150], body[:20000]
        issue.save()
        audit_record(city=newsletter.city, actor=actor, action="newsletter.issue_saved", obj=issue)
    return issue


def issue_send(*, issue: Issue, actor: Any) -> bool:
    """Start sending a draft to every confirmed subscriber (the task does the sending);
    whether this call started it (a second press changes nothing)."""
    with transaction.atomic():
        recipients = Subscriber.objects.filter(
            newsletter=issue.newsletter, status=Status.CONFIRMED
        ).count()
        if not recipients:
            raise NewsletterRefused(_("The newsletter has no confirmed subscribers yet."))
        changed = Issue.objects.filter(pk=issue.pk, status=Issue.Status.DRAFT).update(
            status=Issue.Status.SENDING, sending_at=timezone.now(), recipients=recipients
        )
        if changed:
            audit_record(city=issue.city, actor=actor, action="newsletter.sending", obj=issue,
                         data={"recipients": recipients})  # fmt: skip
            from marktplatz.newsletters import tasks

            transaction.on_commit(lambda: tasks.issue_deliver.enqueue(issue.pk))
    issue.refresh_from_db()
    return bool(changed)
