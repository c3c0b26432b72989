"""A month settled with each merchant: every line a transfer of the settlement ledger,
fees by membership, the same result however often it runs, later bookings in later months."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from marktplatz.ledger.models import Account
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.ledger.services import Leg, transaction_post
from marktplatz.settlement import services
from marktplatz.settlement.models import Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherRedemption


def test_each_merchant_gets_a_statement_equal_to_its_transfers(
    town_a, shop_a, shop_b, activity, month_over
):
    written = services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    statements = {s.merchant_id: s for s in written}
    a, b = statements[shop_a.pk], statements[shop_b.pk]
    # Shop A (not a member): 20.00 vouchers − 4 % = 0.80; 130 points issued = 1.30 value
    # (100 points = 1.00) + 5 % fee = 0.07 (rounded); monthly fee 15.00.
    lines_a = {line["code"]: line["amount"] for line in services.statement_lines(a)}
    assert lines_a == {
        "voucher.settled": 2000,
        "fee.voucher_commission": -80,
        "points.issued_value": -130,
        "fee.points": -7,
        "fee.monthly": -1500,
    }
    assert a.net_minor == 2000 - 80 - 130 - 7 - 1500
    # Shop B (member): 25.00 vouchers − 2 % = 0.50; 100 points paid with = 1.00; no fee.
    lines_b = {line["code"]: line["amount"] for line in services.statement_lines(b)}
    assert lines_b == {
        "voucher.settled": 2500,
        "fee.voucher_commission": -50,
        "points.redeemed_value": 100,
    }
    assert b.net_minor == 2550
    assert a.activity["points_issued"] == 130 and a.activity["purchases"] == 2
    for statement in (a, b):
        own = services.settlement_account(merchant=statement.merchant)
        assert Account.objects.get(pk=own.pk).balance == statement.net_minor
    assert services.statements_verify(city=town_a) == []
    assert ledger_verify() == []


def test_settling_again_changes_nothing(town_a, activity, month_over):
    first = services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    assert first
    with pytest.raises(services.MonthSettled):
        services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    with pytest.raises(CommandError):  # the month is not over yet
        call_command("settle_month", month=f"{THIS_MONTH:%Y-%m}", city="altdorf")
    assert Statement.objects.count() == len(first)


def test_a_month_is_settled_only_when_it_is_over(town_a, activity):
    with pytest.raises(services.SettlementTooEarly):
        services.settle_month(city=town_a, month=THIS_MONTH)
    assert Statement.objects.count() == 0


def test_what_is_dated_later_lands_in_the_next_statement(town_a, shop_a, activity, month_over):
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    # A voucher payment dated in the next month (as anything booked after the close is).
    next_month = (THIS_MONTH + dt.timedelta(days=32)).replace(day=1)
    voucher = VoucherRedemption.objects.filter(merchant=shop_a).first().voucher
    payee = vouchers.merchant_voucher_account(merchant=shop_a)
    txn, _ = transaction_post(
        ledger=vouchers.money_ledger(city=town_a), legs=[Leg(voucher.account, payee, 300)],
        reason_code="voucher.redeemed", idempotency_key="late-1",
    )  # fmt: skip
    start, end = services.period_bounds(city=town_a, month=next_month)
    VoucherRedemption.objects.create(
        city=town_a, voucher=voucher, merchant=shop_a, amount_minor=300, transaction=txn,
        created_at=start + dt.timedelta(days=1),
    )  # fmt: skip
    later = services.settle_month(city=town_a, month=next_month, now=end + dt.timedelta(hours=2))
    statement = next(s for s in later if s.merchant_id == shop_a.pk)
    lines = {line["code"]: line["amount"] for line in services.statement_lines(statement)}
    assert lines["voucher.settled"] == 300
    assert services.statements_verify(city=town_a) == []
    assert ledger_verify() == []


def test_a_reward_handed_out_is_a_statement_line_at_the_points_value(
    town_a, shop_a, dave, month_over
):
    from marktplatz.loyalty import rewards
    from marktplatz.loyalty import services as loyalty
    from marktplatz.loyalty.models import Reward

    member = loyalty.member_for_user(city=town_a, user=dave)  # 100 welcome points
    reward = Reward.objects.create(city=town_a, merchant=shop_a, title="Kaffee", points=80)
    claim = rewards.reward_claim(member=member, reward=reward, idempotency_key="claim-1")
    rewards.reward_fulfil(token=claim.token, merchant=shop_a, actor=None)
    (statement,) = [
        s for s in services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
        if s.merchant_id == shop_a.pk
    ]  # fmt: skip
    lines = {line["code"]: line["amount"] for line in services.statement_lines(statement)}
    assert lines["rewards.fulfilled_value"] == 80  # 80 points, 100 points = 1.00
    assert statement.activity["rewards"] == 1 and statement.activity["reward_points"] == 80
    assert services.statements_verify(city=town_a) == []
