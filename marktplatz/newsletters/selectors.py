from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import Http404

from marktplatz.newsletters.models import Issue, Newsletter, Subscriber


def public_subscriber(*, code: str) -> Subscriber:
    found = Subscriber.objects.filter(code=code).select_related("newsletter").first()
    if found is None:
        raise Http404("no such subscriber")
    return found


def newsletter_of_merchant(*, merchant: Any) -> Newsletter | None:
    return Newsletter.objects.filter(merchant=merchant).first()


def town_newsletter() -> Newsletter | None:
    return Newsletter.objects.filter(merchant__isnull=True).first()


def access_newsletter(*, code: str) -> Newsletter:
    found = Newsletter.objects.filter(code=code).select_related("merchant").first()
    if found is None:
        raise Http404("no such newsletter")
    return found


def access_issue(*, newsletter: Newsletter, code: str) -> Issue:
    found = Issue.objects.filter(newsletter=newsletter, code=code).first()
    if found is None:
        raise Http404("no such issue")
    return found


def subscriber_counts(*, newsletter: Newsletter) -> dict[str, int]:
    return Subscriber.objects.filter(newsletter=newsletter).aggregate(
        confirmed=Count("pk", filter=Q(status=Subscriber.Status.CONFIRMED)),
        pending=Count("pk", filter=Q(status=Subscriber.Status.PENDING)),
        unsubscribed=Count("pk", filter=Q(status=Subscriber.Status.UNSUBSCRIBED)),
    )


def issues_of(*, newsletter: Newsletter) -> Any:
    return (
        Issue.objects.filter(newsletter=newsletter)
        .annotate(sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)))
        .order_by("-created_at")
    )


def progress(*, issue: Issue) -> dict[str, int]:
    done = issue.deliveries.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=~Q(error="")),
    )
    return {"sent": done["sent"], "failed": done["failed"], "total": issue.recipients}
