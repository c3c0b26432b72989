"""The city card's daily run: expire old points, release timed-out holds, send reminders.

Run it once a day per installation (cron or a systemd timer); it is safe to run again.
"""

from django.core.management.base import BaseCommand

from marktplatz.cities.models import City
from marktplatz.core.tenancy import city_scope
from marktplatz.ledger.services import pending_expire_due
from marktplatz.loyalty import services


class Command(BaseCommand):
    help = "Expire points past their date, release timed-out holds, remind members."

    def handle(self, *args, **options):
        for city in City.objects.filter(is_active=True).order_by("slug"):
            with city_scope(city):
                expired = services.points_expire(city=city)
                holds = pending_expire_due(ledger=services.points_ledger(city=city))
                reminded = services.expiry_reminders(city=city)
            self.stdout.write(
                f"{city.slug}: {expired} points expired, {holds} holds released, "
                f"{reminded} members reminded"
            )
