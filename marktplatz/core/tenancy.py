"""Tenant scoping: every query on a city-owned model is confined to the active city.

A request sets its city scope in ``CityMiddleware``. Code outside a request (management
commands, tasks, the admin) must say which city it works on with ``city_scope(city)`` or
state that it works across cities with ``scopes_disabled()``. A query on a city-owned
model with no scope active raises ``ScopeError`` instead of silently reading every town.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models

_UNSET = object()
_DISABLED = object()
_active: ContextVar[Any] = ContextVar("marktplatz_city_scope", default=_UNSET)


class ScopeError(RuntimeError):
    """A city-owned model was queried with no city scope active."""


@contextmanager
def city_scope(city: Any) -> Iterator[None]:
    """Confine queries on city-owned models to ``city``.

    ``city=None`` is a scope without a town (a town-less page): any query on a
    city-owned model raises ``ScopeError`` there.
    """
    token = _active.set(city)
    try:
        yield
    finally:
        _active.reset(token)


@contextmanager
def scopes_disabled() -> Iterator[None]:
    """Allow queries across all cities (admin, management commands, tests' set-up)."""
    token = _active.set(_DISABLED)
    try:
        yield
    finally:
        _active.reset(token)


class CityScopedManager(models.Manager):
    """Default manager of every city-owned model: filters by the active city."""

    def get_queryset(self) -> models.QuerySet:
        qs = super().get_queryset()
        value = _active.get()
        if value is _DISABLED:
            return qs
        if value is _UNSET or value is None:
            raise ScopeError(
                f"{self.model.__name__} queried outside a city scope; "
                "use city_scope(city) or scopes_disabled()"
            )
        return qs.filter(city=value)


class CityOwned(models.Model):
    """Abstract base of every row that belongs to one town."""

    city = models.ForeignKey("cities.City", on_delete=models.PROTECT, related_name="+")

    objects = CityScopedManager()

    class Meta:
        abstract = True


def city_copy() -> models.ForeignKey:
    """The town of a row in a table every booking writes (ledger transactions and
    transfers, bookings, points lots), where it is a copy of the town of the row's ledger
    or member.

    No database constraint and no index of its own: a foreign key there makes every
    booking of the town lock the town's row (FOR KEY SHARE, a write to that row under
    concurrent bookings), and the town of such a row is never looked up alone. Its
    agreement with the ledger or member is checked by ``ledger_verify`` instead, which is
    stronger than existence (docs/benchmarks.md has the measurement).
    """
    return models.ForeignKey(
        "cities.City",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
