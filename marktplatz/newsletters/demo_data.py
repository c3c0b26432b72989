"""Demo data of the newsletters: the town's and the demo owner's business's, with
subscribers (confirmed, waiting, unsubscribed: each with its consent record), one issue
sent a week ago (its deliveries recorded, no mail sent by the demo) and one draft."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.newsletters import services
from marktplatz.newsletters.models import Delivery, Issue, Newsletter, Subscriber

STATES = ["confirmed"] * 8 + ["pending", "unsubscribed"]


def seed(*, city, town, rng, out, **_options) -> None:
    if Newsletter.objects.exists():
        return  # loaded once
    owner = Role.objects.filter(kind=RoleKind.MERCHANT_OWNER).select_related("merchant").first()
    operator = Role.objects.filter(kind=RoleKind.OPERATOR_ADMIN).select_related("user").first()
    now = timezone.now()
    for merchant, size, actor in (
        (None, 40, operator),
        (owner.merchant if owner else None, 20, owner),
    ):
        if actor is None:
            continue
        newsletter = services.newsletter_of(city=city, merchant=merchant)
        subscribers = []
        for index in range(size):
            state = STATES[index % len(STATES)]
            asked = now - dt.timedelta(days=rng.randint(10, 300))
            subscribers.append(
                Subscriber(
                    city=city, newsletter=newsletter,
                    email=f"leser{index + 1}@{town.slug}.example",
                    status=state, requested_at=asked,
                    consent_text=services.consent_text(newsletter),
                    consent_source=f"/{town.slug}/newsletters/{newsletter.code}/subscribe/ 192.0.2.0/24",
                    language=city.default_language,
                    confirmed_at=asked + dt.timedelta(minutes=5) if state != "pending" else None,
                    confirmed_from="192.0.2.0/24" if state != "pending" else "",
                    unsubscribed_at=now - dt.timedelta(days=3) if state == "unsubscribed" else None,
                )
            )  # fmt: skip
        Subscriber.objects.bulk_create(subscribers)
        who = actor.user
        name = merchant.name if merchant else city.name
        sent = Issue.objects.create(
            city=city, newsletter=newsletter, created_by=who, status=Issue.Status.SENT,
            subject=f"Neues aus {name}",
            body="Liebe Leserinnen und Leser,\n\nam Samstag ist Markttag: frische Ware, "
            "Musik und doppelte Punkte auf der Stadtkarte.\n\nHerzliche Grüße",
            sending_at=now - dt.timedelta(days=7), sent_at=now - dt.timedelta(days=7),
            recipients=sum(1 for s in subscribers if s.status != "pending"),
        )  # fmt: skip
        Delivery.objects.bulk_create(
            [Delivery(issue=sent, subscriber=s, sent_at=sent.sent_at)
             for s in Subscriber.objects.filter(newsletter=newsletter).exclude(status="pending")]
        )  # fmt: skip
        Issue.objects.create(
            city=city, newsletter=newsletter, created_by=who,
            subject=f"Advent in {name}", body="Entwurf: die Termine im Dezember …",
        )  # fmt: skip
