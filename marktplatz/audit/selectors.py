from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from marktplatz.audit.models import AuditEvent


def audit_events(
    *,
    action: str = "",
    actor_email: str = "",
    object_type: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events of the active city, newest first, filtered as given."""
    qs = AuditEvent.objects.all()
    if action:
        qs = qs.filter(action=action)
    if actor_email:
        qs = qs.filter(actor_email__icontains=actor_email)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(created_at__date__gte=since)
    if until:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-created_at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_object_types() -> list[str]:
    return list(
        AuditEvent.objects.order_by("object_type")
        .exclude(object_type="")
        .values_list("object_type", flat=True)
        .distinct()
    )
