"""Changing a town's settings and departments."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from marktplatz.audit.services import audit_record
from marktplatz.cities.models import City, Department


def city_update(*, city: City, actor: Any, changed: list[str]) -> City:
    """Save a validated town; ``changed`` names the fields for the audit log."""
    with transaction.atomic():
        city.save()
        audit_record(
            city=city, actor=actor, action="city.updated", obj=city, data={"fields": changed}
        )
    return city


def department_create(*, city: City, actor: Any, name: str, email: str = "") -> Department:
    with transaction.atomic():
        department = Department.objects.create(city=city, name=name, email=email)
        audit_record(city=city, actor=actor, action="department.created", obj=department)
    return department
