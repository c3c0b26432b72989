"""A management command run once a month for every town (or one): ``--month YYYY-MM``
(default: the month before this one) and ``--city <slug>``."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marktplatz.cities.models import City
from marktplatz.core.months import month_before
from marktplatz.core.tenancy import city_scope


class MonthlyTownCommand(BaseCommand, ABC):
    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: the month before this one)")
        parser.add_argument("--city", help="a town's slug (default: every town)")

    @abstractmethod
    def run(self, town: Any, month: dt.date) -> str:
        """Do the month's work for ``town``; return the line to print."""

    def handle(self, *args, month=None, city=None, **options):
        if month:
            try:
                first = dt.datetime.strptime(month, "%Y-%m").date()
            except ValueError:
                raise CommandError("--month must look like 2026-10") from None
        else:
            first = month_before(timezone.localdate())
        towns = City.objects.filter(is_active=True).order_by("slug")
        if city:
            towns = towns.filter(slug=city)
            if not towns.exists():
                raise CommandError(f"no active town {city!r}")
        for town in towns:
            with city_scope(town):
                self.stdout.write(f"{town.slug} {first:%Y-%m}: {self.run(town, first)}")
