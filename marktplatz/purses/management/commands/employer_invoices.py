"""Write the employer invoices of a month (default: last month) for every town, or one."""

from django.core.management.base import CommandError

from marktplatz.cities.commands import MonthlyTownCommand
from marktplatz.purses.invoicing import employer_invoices_issue
from marktplatz.purses.services import PurseError


class Command(MonthlyTownCommand):
    help = "Invoice every employer for the benefits it loaded in a month; running it again changes nothing."

    def run(self, town, month):
        try:
            written = employer_invoices_issue(city=town, month=month)
        except PurseError as error:
            raise CommandError(str(error.message)) from None
        return f"{len(written)} invoice(s) written"
