"""The daily money check passes on sound books and fails (exit 1) when a statement differs
from its transfers or voucher liability exceeds the money taken in."""

import pytest
from django.core.management import call_command

from marktplatz.ledger.services import Leg, account_open, transaction_post
from marktplatz.settlement import services
from marktplatz.settlement.models import Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import Voucher


def test_sound_books_pass(town_a, activity, month_over, capsys):
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    call_command("money_reconcile")
    assert "altdorf: ok" in capsys.readouterr().out


def test_a_statement_that_differs_from_its_transfers_fails(town_a, shop_a, activity, month_over):
    written = services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    honest = next(s for s in written if s.merchant_id == shop_a.pk)
    Statement.objects.create(
        city=town_a, merchant=shop_a, period_start=honest.period_start.replace(year=2020),
        transaction=None, net_minor=999,
    )  # fmt: skip
    with pytest.raises(SystemExit) as failed:
        call_command("money_reconcile", city="altdorf")
    assert failed.value.code == 1


def test_voucher_value_created_without_money_fails(town_a, activity):
    voucher = Voucher.objects.get()
    # Value put on a voucher from anywhere but a sale: liability without money.
    ledger = vouchers.money_ledger(city=town_a)
    source = account_open(
        ledger=ledger, kind="operator", reference="test:source", allow_negative=True
    )
    transaction_post(
        ledger=ledger, legs=[Leg(source, voucher.account, 1)],
        reason_code="test.unbacked",
    )  # fmt: skip
    assert services.money_check(city=town_a) != []
