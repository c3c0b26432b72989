"""Many tills paying from one card's purse at once, and load runs of one employer at once,
on PostgreSQL: never more than the purse holds, one load per employee and month."""

import pytest
from django.db import connection

from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services as loyalty
from marktplatz.purses import services
from marktplatz.purses.models import BenefitLoad, Employee
from marktplatz.testing import factories
from marktplatz.testing.threads import run_in_threads
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.errors import VoucherInsufficient
from marktplatz.vouchers.models import VoucherProduct, VoucherRedemption

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locking is tested on PostgreSQL (SQLite serialises all writers)")


@pytest.fixture
def employee(town_a):
    employer = factories.employer(city=town_a)
    card = loyalty.member_for_user(city=town_a, user=factories.user("e@example.org")).cards.get()
    Employee.objects.create(
        city=town_a, employer=employer, personnel_number="1", first_name="A", last_name="B",
        card=card,
    )  # fmt: skip
    return employer, card


def test_a_purse_is_never_spent_twice(town_a, shop_a, employee):
    employer, card = employee
    services.benefits_load(employer=employer, run_key="run-1")  # 50.00
    gift = vouchers.voucher_sell(
        product=VoucherProduct.objects.create(city=town_a, name="G", value_minor=2000)
    )
    services.voucher_load_onto_card(city=town_a, card=card, code=gift.secret, actor=None)
    paid, refused = [], []

    def spend(index):
        for attempt in range(5):
            try:
                services.purse_pay(
                    city=town_a, merchant=shop_a, card=card, amount_minor=300,
                    idempotency_key=f"t{index}-{attempt}",
                )  # fmt: skip
                paid.append(1)
            except VoucherInsufficient:
                refused.append(1)

    run_in_threads(spend)
    # 40 attempts of 3.00 on 70.00: 23 go through, 1.00 remains.
    assert (len(paid), len(refused)) == (23, 17)
    assert services.purse_balance(card=card) == 100
    assert sum(VoucherRedemption.objects.values_list("amount_minor", flat=True)) == 6900
    assert ledger_verify() == []


def test_load_runs_at_once_load_each_employee_once_a_month(town_a, employee):
    employer, card = employee
    Employee.objects.update(monthly_amount_minor=2000)

    def load(index):
        services.benefits_load(employer=employer, run_key=f"run-{index}")

    run_in_threads(load, threads=4)
    # 20.00 a month for this employee: one run loads it, the others nothing.
    assert list(BenefitLoad.objects.values_list("amount_minor", flat=True)) == [2000]
    assert services.purse_balance(card=card) == 2000
    assert ledger_verify() == []


def test_one_confirmation_sent_many_times_at_once_loads_once_and_answers_alike(town_a, employee):
    employer, card = employee
    answers = []

    def load(index):
        outcomes = services.benefits_load(employer=employer, run_key="one-click")
        answers.append([(o.employee.pk, o.amount_minor, o.reason) for o in outcomes])

    run_in_threads(load)
    assert BenefitLoad.objects.count() == 1
    assert len(answers) == 8 and all(answer == answers[0] for answer in answers)
    assert answers[0][0][1] == 5000
    assert services.purse_balance(card=card) == 5000
    assert ledger_verify() == []


def test_an_order_confirmed_at_once_by_many_issues_its_vouchers_once(town_a):
    from marktplatz.vouchers import payments
    from marktplatz.vouchers.models import VoucherOrder

    product = VoucherProduct.objects.create(city=town_a, name="G", value_minor=2500)
    order = VoucherOrder.objects.create(
        city=town_a, number=1, reference="RF18539007547034", provider="transfer",
        product=product, value_minor=2500, quantity=3, total_minor=7500, buyer_name="E",
        buyer_email="e@example.org",
    )  # fmt: skip
    issued = []

    def confirm(index):
        issued.append(len(payments.order_paid(order=order, amount_minor=7500, note=f"t{index}")))

    run_in_threads(confirm)
    assert sorted(issued) == [0] * 7 + [3]
    assert order.vouchers.count() == 3
    assert vouchers.voucher_figures(city=town_a)["taken_in"] == 7500
