import datetime as dt

import pytest
from django.utils import timezone

from marktplatz.ledger.errors import IdempotencyConflict, InsufficientFunds
from marktplatz.ledger.models import Account, Transaction
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.loyalty import services
from marktplatz.loyalty.cardnumbers import is_valid_number, luhn_check_digit
from marktplatz.loyalty.errors import (
    BadAmount,
    CardBlocked,
    CardNotFound,
    MerchantNotAccepting,
    NotRefundable,
    RedemptionRefused,
    WrongCurrency,
)
from marktplatz.loyalty.models import Booking, MerchantRules, PointsLot


def balance(member):
    return Account.objects.get(pk=member.account_id).balance


def lots_total(member):
    return sum(PointsLot.objects.filter(member=member).values_list("remaining", flat=True))


def earn(town, shop, card, cents, key, **kw):
    return services.earn(
        city=town,
        merchant=shop,
        card=card,
        purchase_minor=cents,
        currency="EUR",
        idempotency_key=key,
        **kw,
    )


def test_it_gives_a_new_member_a_digital_card_and_the_welcome_bonus(member, card):
    assert card.form == "digital"
    assert is_valid_number(card.number)
    assert card.qr_token.startswith("MPC1-") and len(card.qr_token) >= 26 + 5
    assert balance(member) == 100
    assert lots_total(member) == 100


def test_it_validates_card_numbers_with_a_check_digit():
    assert luhn_check_digit("7992739871") == "3"
    assert is_valid_number("4111 1111 1111 1111")
    assert not is_valid_number("4111 1111 1111 1112")


def test_it_earns_by_turnover_and_a_retry_books_once(town_a, shop_a, card, member):
    booking, created = earn(town_a, shop_a, card, 2599, "k1")
    assert (created, booking.points) == (True, 25)
    again, created = earn(town_a, shop_a, card, 2599, "k1")
    assert (again.pk, created) == (booking.pk, False)
    assert balance(member) == 125
    with pytest.raises(IdempotencyConflict):
        earn(town_a, shop_a, card, 2600, "k1")
    assert ledger_verify() == []


def test_it_uses_the_merchants_rate_within_the_operators_range(town_a, shop_a, card):
    MerchantRules.objects.create(city=town_a, merchant=shop_a, points_per_unit=50)
    booking, _ = earn(town_a, shop_a, card, 1000, "k1")
    assert booking.points == 50  # capped at the programme's maximum of 5 per 1.00


def test_it_caps_points_per_card_and_day(town_a, shop_a, card):
    programme = services.programme_for(city=town_a)
    programme.daily_cap_per_card = 30
    programme.save()
    first, _ = earn(town_a, shop_a, card, 2000, "a")
    second, _ = earn(town_a, shop_a, card, 2000, "b")
    assert (first.points, second.points) == (20, 10)
    with pytest.raises(BadAmount):
        earn(town_a, shop_a, card, 2000, "c")


@pytest.mark.parametrize("cents", [0, -100, 10**9, "12", 12.5])
def test_it_refuses_bad_amounts(town_a, shop_a, card, cents):
    with pytest.raises(BadAmount):
        earn(town_a, shop_a, card, cents, "x")
    assert not Booking.objects.filter(kind="earn").exists()


def test_it_refuses_the_wrong_currency_and_inactive_merchants(town_a, shop_a, card):
    with pytest.raises(WrongCurrency):
        services.earn(
            city=town_a,
            merchant=shop_a,
            card=card,
            purchase_minor=100,
            currency="CHF",
            idempotency_key="x",
        )
    shop_a.accepting = False
    shop_a.save()
    with pytest.raises(MerchantNotAccepting):
        earn(town_a, shop_a, card, 100, "y")


def test_it_finds_cards_by_qr_or_number_only_in_their_town(town_a, town_b, card):
    assert services.card_lookup(city=town_a, identifier=card.qr_token) == card
    spaced = " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    assert services.card_lookup(city=town_a, identifier=spaced) == card
    with pytest.raises(CardNotFound):
        services.card_lookup(city=town_a, identifier="MPC1-NOTHING")
    card.status = "blocked"
    card.save()
    with pytest.raises(CardBlocked):
        services.card_lookup(city=town_a, identifier=card.qr_token)


def test_it_redeems_oldest_points_first(town_a, shop_a, card, member):
    earn(town_a, shop_a, card, 10000, "k1")  # +100
    _booking, _ = services.redeem(
        city=town_a, merchant=shop_a, card=card, points=150, idempotency_key="r1"
    )
    assert balance(member) == 50
    lots = list(PointsLot.objects.filter(member=member).order_by("expires_at", "pk"))
    # The welcome bonus (older) is used up before the purchase's points.
    assert [lot.remaining for lot in lots] == [0, 50]
    assert services.redemption_value_minor(city=town_a, points=150) == 150
    with pytest.raises(InsufficientFunds):
        services.redeem(city=town_a, merchant=shop_a, card=card, points=100, idempotency_key="r2")
    with pytest.raises(RedemptionRefused):
        services.redeem(city=town_a, merchant=shop_a, card=card, points=10, idempotency_key="r3")
    assert balance(member) == lots_total(member) == 50
    assert ledger_verify() == []


def test_it_takes_back_points_in_proportion_on_partial_refunds(town_a, shop_a, card, member):
    purchase, _ = earn(town_a, shop_a, card, 3333, "k1")  # 33 points
    first, _ = services.refund(booking=purchase, purchase_minor=1111, idempotency_key="f1")
    second, _ = services.refund(booking=purchase, purchase_minor=2222, idempotency_key="f2")
    assert first.points + second.points == 33
    assert first.kind == second.kind == "refund"
    with pytest.raises(NotRefundable):
        services.refund(booking=purchase, purchase_minor=1, idempotency_key="f3")
    assert balance(member) == lots_total(member) == 100
    assert ledger_verify() == []


def test_a_quick_full_refund_is_a_cancellation(town_a, shop_a, card, member):
    purchase, _ = earn(town_a, shop_a, card, 5000, "k1")
    cancel, _ = services.refund(booking=purchase, purchase_minor=None, idempotency_key="c1")
    assert (cancel.kind, cancel.points) == ("cancel", 50)
    assert balance(member) == 100


def test_buy_redeem_refund_cannot_farm_points(town_a, shop_a, card, member):
    purchase, _ = earn(town_a, shop_a, card, 20000, "k1")  # +200 → 300
    services.redeem(city=town_a, merchant=shop_a, card=card, points=300, idempotency_key="r1")
    refund, _ = services.refund(booking=purchase, purchase_minor=None, idempotency_key="f1")
    assert (refund.points, refund.shortfall) == (200, 200)
    assert balance(member) == 0
    # While points are owed, the card cannot pay with points …
    with pytest.raises(RedemptionRefused):
        services.redeem(city=town_a, merchant=shop_a, card=card, points=100, idempotency_key="r2")
    # … and the next points earned repay the debt first.
    later, _ = earn(town_a, shop_a, card, 25000, "k2")  # +250: 200 repay, 50 stay
    assert later.points == 250
    assert balance(member) == lots_total(member) == 50
    assert Account.objects.get(pk=member.debt_account_id).balance == 0
    assert ledger_verify() == []


def test_it_refuses_refunds_after_the_window(town_a, shop_a, card):
    purchase, _ = earn(town_a, shop_a, card, 1000, "k1")
    later = timezone.now() + dt.timedelta(days=31)
    with pytest.raises(NotRefundable):
        services.refund(booking=purchase, purchase_minor=None, idempotency_key="f1", now=later)


def test_it_moves_expired_points_to_breakage_by_transfer(town_a, shop_a, card, member):
    earn(town_a, shop_a, card, 5000, "k1")  # 50 more, same expiry horizon
    services.redeem(city=town_a, merchant=shop_a, card=card, points=120, idempotency_key="r1")
    in_three_years = timezone.now() + dt.timedelta(days=37 * 31)
    moved = services.points_expire(city=town_a, now=in_three_years)
    assert moved == 30
    assert balance(member) == lots_total(member) == 0
    breakage = services.operator_account(city=town_a, purpose="breakage")
    assert Account.objects.get(pk=breakage.pk).balance == 30
    assert services.points_expire(city=town_a, now=in_three_years) == 0
    assert ledger_verify() == []


def test_anonymous_batch_cards_work_before_anyone_claims_them(town_a, shop_a, alice):
    batch = services.card_batch_issue(city=town_a, actor=alice, size=3)
    cards = list(batch.card_set.all())
    assert len(cards) == 3 and all(c.member.user is None for c in cards)
    assert len({c.qr_token for c in cards}) == 3
    _booking, _ = earn(town_a, shop_a, cards[0], 1000, "anon")
    assert balance(cards[0].member) == 10


def test_cards_of_another_town_are_not_found(town_b, card):
    with pytest.raises(CardNotFound):
        services.card_lookup(city=town_b, identifier=card.qr_token)
    with pytest.raises(CardNotFound):
        services.card_lookup(city=town_b, identifier=card.number)


def test_the_daily_run_reminds_then_expires(
    town_a, shop_a, card, member, capsys, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.core.management import call_command

    from marktplatz.loyalty.models import PointsLot

    soon = timezone.now() + dt.timedelta(days=10)
    PointsLot.objects.filter(member=member).update(expires_at=soon)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loyalty_daily")
    assert mail.outbox[-1].to == ["dave@example.org"]
    assert "100" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        call_command("loyalty_daily")
    assert len(mail.outbox) == 1  # reminded once
    PointsLot.objects.filter(member=member).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    call_command("loyalty_daily")
    assert balance(member) == 0
    assert "altdorf: 100 points expired" in capsys.readouterr().out
    assert ledger_verify() == []


def test_campaigns_multiply_points_while_they_run(town_a, shop_a, card):
    from marktplatz.loyalty.models import Campaign
    from marktplatz.testing import factories

    now = timezone.now()
    Campaign.objects.create(
        city=town_a,
        name="Doppelte Punkte",
        multiplier_percent=200,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
    )
    Campaign.objects.create(
        city=town_a,
        name="Nur die Bäckerei",
        merchant=shop_a,
        multiplier_percent=300,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
    )
    Campaign.objects.create(
        city=town_a,
        name="Vorbei",
        multiplier_percent=1000,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now - dt.timedelta(days=2),
    )
    at_bakery, _ = earn(town_a, shop_a, card, 1000, "c1")
    other = factories.merchant(city=town_a, name="Metzgerei")
    elsewhere, _ = earn(town_a, other, card, 1000, "c2")
    assert (at_bakery.points, elsewhere.points) == (30, 20)


def test_ledger_verify_finds_a_booking_naming_another_town(town_a, town_b, shop_a, card, member):
    booking, _created = earn(town_a, shop_a, card, 2000, "copy-1")
    assert ledger_verify() == []
    empty = Transaction.objects.create(
        city=town_a, ledger=booking.transaction.ledger, fingerprint="x", reason_code="t"
    )
    Booking.objects.create(city=town_b, kind="bonus", member=member, points=0, transaction=empty)
    assert "1 row(s) of loyalty.Booking name another town" in ledger_verify()
