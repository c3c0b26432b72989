"""Move what is left on expired vouchers to breakage (daily, like loyalty_daily)."""

from django.core.management.base import BaseCommand

from marktplatz.cities.models import City
from marktplatz.core.tenancy import city_scope
from marktplatz.vouchers.services import vouchers_expire


class Command(BaseCommand):
    help = "Move the rest of every expired voucher to the breakage account, town by town."

    def handle(self, *args, **options):
        for city in City.objects.filter(is_active=True).order_by("slug"):
            with city_scope(city):
                count = vouchers_expire(city=city)
            self.stdout.write(f"{city.slug}: {count} voucher(s) expired")
