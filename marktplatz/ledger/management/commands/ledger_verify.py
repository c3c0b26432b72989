"""Check the ledger invariants of one town (or all); exit 1 on any mismatch."""

from django.core.management.base import BaseCommand, CommandError

from marktplatz.cities.models import City
from marktplatz.core.tenancy import scopes_disabled
from marktplatz.ledger.models import Ledger
from marktplatz.ledger.selectors import ledger_verify


class Command(BaseCommand):
    help = "Verify that ledgers balance and cached balances equal their transfers."

    def add_arguments(self, parser):
        parser.add_argument("--city", help="the town's slug (default: every town)")

    def handle(self, *args, city=None, **options):
        with scopes_disabled():
            ledgers = Ledger.objects.all()
            if city:
                town = City.objects.filter(slug=city).first()
                if town is None:
                    raise CommandError(f"no town {city!r}")
                ledgers = ledgers.filter(city=town)
            problems = ledger_verify(ledgers=ledgers)
            count = ledgers.count()
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {count} ledger(s)")
        self.stdout.write(f"ok: {count} ledger(s) balance")
