"""Create or complete the demo towns. Safe to run again: nothing is duplicated."""

import importlib
import random

from django.core.management.base import BaseCommand
from django.db import transaction

from marktplatz.core.tenancy import city_scope, scopes_disabled
from marktplatz.demo.registry import SEEDERS, TOWNS


class Command(BaseCommand):
    help = "Load the demo towns (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--citizens", type=int, default=500, help="citizens per town")
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args, citizens, quiet, **options):
        logins: list[tuple[str, str, str, str]] = []
        modules = [importlib.import_module(name) for name in SEEDERS]
        with scopes_disabled():
            from marktplatz.cities.demo_data import ensure_city

            for town in TOWNS:
                city = ensure_city(town)
                with transaction.atomic(), city_scope(city):
                    for module in modules:
                        # A fixed seed per town and app: the same data on every machine.
                        rng = random.Random(f"marktplatz-demo-{town.slug}-{module.__name__}")
                        module.seed(city=city, town=town, rng=rng, out=logins, citizens=citizens)
            from marktplatz.accounts.demo_data import ensure_superuser

            logins.insert(0, ensure_superuser())
        if not quiet:
            self.print_logins(logins)

    def print_logins(self, logins):
        from marktplatz.demo.registry import DEMO_PASSWORD

        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for town, role, email, note in logins:
            line = f"  {town:<11} {role:<18} {email:<32}"
            self.stdout.write(line + (f" {note}" if note else ""))
        self.stdout.write("")
        self.stdout.write(
            "Roles marked 2FA need a one-time code: add the shown secret to an authenticator"
        )
        self.stdout.write("app, or print the current code with:  python3 dev.py totp <e-mail>")
