"""Write the monthly statements (default: last month) for every town, or one."""

from django.core.management.base import CommandError

from marktplatz.cities.commands import MonthlyTownCommand
from marktplatz.settlement.services import SettlementTooEarly, settle_month


class Command(MonthlyTownCommand):
    help = "Settle a month with every merchant; running it again changes nothing."

    def run(self, town, month):
        try:
            written = settle_month(city=town, month=month)
        except SettlementTooEarly as error:
            raise CommandError(str(error.message)) from None
        return f"{len(written)} statement(s) written"
