"""Writing the audit log. Every service that changes state calls ``audit_record``."""

from __future__ import annotations

from typing import Any

from django.db import models

from marktplatz.audit.models import AuditEvent


def audit_record(
    *,
    city: Any,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the same transaction as the change it records,
    so that a rolled-back change leaves no event behind."""
    object_type = object_code = object_label = ""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_code = str(getattr(obj, "code", None) or obj.pk)
        object_label = str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        city=city,
        actor=actor if authenticated else None,
        actor_email=actor.email if authenticated else "",
        action=action,
        object_type=object_type,
        object_code=object_code,
        object_label=object_label,
        data=data or {},
    )
    event.save()
    return event
