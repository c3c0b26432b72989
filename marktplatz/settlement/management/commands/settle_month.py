"""Write the monthly statements (default: last month) for every town, or one."""

from django.core.management.base import CommandError

from marktplatz.cities.commands import MonthlyTownCommand
from marktplatz.settlement.services import (
    MonthSettled,
    SettlementBeforeStart,
    SettlementTooEarly,
    settle_month,
)


class Command(MonthlyTownCommand):
    help = "Settle a month with every merchant; a month settled already is left as it is."

    def run(self, town, month):
        try:
            written = settle_month(city=town, month=month)
        except MonthSettled:
            return "settled already"
        except SettlementBeforeStart:
            return "before the town started: nothing to settle"
        except SettlementTooEarly as error:
            raise CommandError(str(error.message)) from None
        return f"{len(written)} statement(s) written"
