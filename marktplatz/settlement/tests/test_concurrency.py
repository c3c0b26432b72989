"""On PostgreSQL: a month settled by many operators at once is settled once, and its
payment file downloaded by many at once is made once."""

import datetime as dt

import pytest
from django.db import connection

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.settlement import payments, services
from marktplatz.settlement.models import PaymentFile, SettlementRun, Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


def test_a_month_settled_at_once_by_many_is_settled_once(town_a):
    town_a.bank_account_holder, town_a.bank_iban = "Stadt", "DE89370400440532013000"
    town_a.bank_bic, town_a.sepa_creditor_id = "COBADEFFXXX", "DE98ZZZ09999999999"
    town_a.save()
    for number, iban in enumerate(["DE02120300000000202051", "DE02500105170137075030"]):
        shop = factories.merchant(city=town_a, name=f"Laden {number}")
        shop.iban = iban
        shop.save()
    _start, end = services.period_bounds(city=town_a, month=THIS_MONTH)
    later = end + dt.timedelta(hours=2)
    settled, refused = [], []

    def settle(index):
        try:
            settled.append(services.settle_month(city=town_a, month=THIS_MONTH, now=later))
        except services.MonthSettled:
            refused.append(index)

    run_in_threads(settle)
    assert (len(settled), len(refused)) == (1, 7)
    assert SettlementRun.objects.count() == 1 and Statement.objects.count() == 2
    assert ledger_verify() == []
    run = SettlementRun.objects.get()
    files = []

    def download(index):
        files.append(payments.payment_file_for(run=run, kind="collections", now=later))

    run_in_threads(download)
    assert PaymentFile.objects.count() == 1
    assert len({bytes(f.xml) for f in files}) == 1 and files[0].count == 2
