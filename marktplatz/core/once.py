"""Rows made once however often (and however concurrently) the same request arrives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def row_once(
    model: type[M], *, city: Any, then: Callable[[], Any] | None = None, **lookup: Any
) -> tuple[M, bool]:
    """The row of ``model`` matching ``lookup`` (a unique key), made if missing; whether
    this call made it. ``then()`` runs in the same transaction as the insert."""
    row = model.objects.filter(**lookup).first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            row = model.objects.create(city=city, **lookup)
            if then is not None:
                then()
    except IntegrityError:
        # The same request, sent twice at once: the other one made the row.
        return model.objects.get(**lookup), False
    return row, True
