"""Write the monthly statements (default: last month) for every town, or one."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from marktplatz.cities.models import City
from marktplatz.core.tenancy import city_scope
from marktplatz.settlement.services import SettlementTooEarly, settle_month


class Command(BaseCommand):
    help = "Settle a month with every merchant; running it again changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM (default: the month before this one)")
        parser.add_argument("--city", help="a town's slug (default: every town)")

    def handle(self, *args, month=None, city=None, **options):
        if month:
            try:
                first = dt.datetime.strptime(month, "%Y-%m").date()
            except ValueError:
                raise CommandError("--month must look like 2026-10") from None
        else:
            first = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        towns = City.objects.filter(is_active=True).order_by("slug")
        if city:
            towns = towns.filter(slug=city)
            if not towns.exists():
                raise CommandError(f"no active town {city!r}")
        for town in towns:
            try:
                with city_scope(town):
                    written = settle_month(city=town, month=first)
            except SettlementTooEarly as error:
                raise CommandError(str(error.message)) from None
            self.stdout.write(f"{town.slug} {first:%Y-%m}: {len(written)} statement(s) written")
