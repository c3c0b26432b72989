"""Daily money check: voucher liability against the money taken in for vouchers, and every
statement against its transfers. Exits 1 on any problem (for cron and monitoring)."""

from django.core.management.base import BaseCommand

from marktplatz.cities.models import City
from marktplatz.core.tenancy import city_scope
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.settlement.services import money_check


class Command(BaseCommand):
    help = "Check that voucher money covers what is owed and statements equal their transfers."

    def add_arguments(self, parser):
        parser.add_argument("--city", help="a town's slug (default: every town)")

    def handle(self, *args, city=None, **options):
        towns = City.objects.filter(is_active=True).order_by("slug")
        if city:
            towns = towns.filter(slug=city)
        problems = list(ledger_verify())
        for town in towns:
            with city_scope(town):
                found = money_check(city=town)
            problems += [f"{town.slug}: {problem}" for problem in found]
            if not found:
                self.stdout.write(f"{town.slug}: ok")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
