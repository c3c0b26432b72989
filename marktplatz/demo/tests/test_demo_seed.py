from pathlib import Path

from django.core.management import call_command

from marktplatz.accounts.models import Role, User
from marktplatz.chat.models import CannedReply, Conversation, Message, MessageReport
from marktplatz.cities.models import City
from marktplatz.core.tenancy import scopes_disabled
from marktplatz.ledger.selectors import ledger_verify
from marktplatz.merchants.models import Merchant
from marktplatz.messenger.models import Follow, Offer, OfferDay
from marktplatz.messenger.selectors import offer_feed
from marktplatz.newsletters.models import Issue, Newsletter, Subscriber
from marktplatz.orders.models import Order, Product
from marktplatz.purses.models import Employee, EmployerInvoice
from marktplatz.settlement.bank import bank_statement_import
from marktplatz.settlement.models import Statement
from marktplatz.settlement.services import money_check
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherRedemption


def _counts():
    return (
        City.objects.count(),
        Merchant.objects.count(),
        User.objects.count(),
        Role.objects.count(),
        Voucher.objects.count(),
        VoucherRedemption.objects.count(),
        Statement.objects.count(),
        Offer.objects.count(),
        Follow.objects.count(),
        OfferDay.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
    )


def test_it_loads_two_towns_with_a_login_for_every_role_and_runs_again(
    db, capsys, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    call_command("demo_seed", citizens=20)
    first = _counts()
    assert first[0] == 2
    assert Merchant.objects.filter(city__slug="rheinstadt", is_active=True).count() == 30
    assert {c.currency for c in City.objects.all()} == {"EUR", "CHF"}
    kinds = set(Role.objects.filter(city__slug="seeberg").values_list("kind", flat=True))
    assert kinds == {
        "operator_admin",
        "operator_staff",
        "merchant_owner",
        "merchant_manager",
        "merchant_cashier",
        "city_staff",
        "employer_admin",
        "citizen",
    }
    output = capsys.readouterr().out
    assert "operator@rheinstadt.example" in output
    assert "marktplatz-demo" in output
    call_command("demo_seed", citizens=20, quiet=True)
    assert _counts() == first
    # A year of city vouchers in both towns, sold and spent in parts; the books balance.
    with scopes_disabled():
        for slug in ("rheinstadt", "seeberg"):
            gift = Voucher.objects.filter(city__slug=slug).exclude(channel="employer")
            assert gift.count() == 240
            assert VoucherRedemption.objects.filter(city__slug=slug).count() > 100
            # Employees with half a year of benefits; invoices for the months that are over.
            benefits = Voucher.objects.filter(city__slug=slug, channel="employer")
            assert benefits.count() == 6 * Employee.objects.filter(city__slug=slug).count() > 0
            assert EmployerInvoice.objects.filter(city__slug=slug).count() == 5
            assert EmployerInvoice.objects.filter(city__slug=slug, status="open").count() == 1
            assert VoucherOrder.objects.filter(city__slug=slug, status="pending").count() == 3
        assert ledger_verify() == []
        for city in City.objects.all():
            assert money_check(city=city) == []
        # A year of monthly statements, each equal to its transfers.
        from marktplatz.settlement.services import statements_verify

        for city in City.objects.all():
            assert (
                Statement.objects.filter(city=city).values("period_start").distinct().count() == 12
            )
            assert statements_verify(city=city) == []
    assert "voucher (till)" in output
    # Offers live, coming, ended and drafted; the demo citizen follows the owner's business.
    with scopes_disabled():
        citizen = User.objects.get(email="citizen@rheinstadt.example")
        owner = Role.objects.get(city__slug="rheinstadt", kind="merchant_owner")
        assert Follow.objects.filter(user=citizen, merchant=owner.merchant).exists()
        city = City.objects.get(slug="rheinstadt")
    from django.utils import timezone

    from marktplatz.core.tenancy import city_scope

    with city_scope(city):
        feed = list(offer_feed(user=citizen, today=timezone.localdate()))
        assert len(feed) >= 5
        assert feed[0].merchant == owner.merchant or feed[0].merchant.category == "books"
        states = {o.state(timezone.localdate()) for o in Offer.objects.all()}
    assert states == {"live", "scheduled", "ended", "draft"}
    with city_scope(city):
        first_day = OfferDay.objects.order_by("day").first().day
        assert (timezone.localdate() - first_day).days > 330  # a year of figures
        # Conversations in every state; the demo citizen's with the owner's business is
        # open with an unread question; canned replies, an away message, one report.
        assert set(Conversation.objects.values_list("state", flat=True)) == {
            "open", "pending", "snoozed", "resolved",
        }  # fmt: skip
        mine = Conversation.objects.get(citizen=citizen, merchant=owner.merchant)
        question = mine.messages.filter(event__isnull=True).get()
        assert mine.state == "open" and mine.merchant_read < question.pk
        # Orders in every state at the owner's business, two of them the demo citizen's:
        # one confirmed (the payment can be chosen), one handed over and paid with points.
        assert set(Order.objects.values_list("state", flat=True)) == set(Order.State.values)
        assert Order.objects.get(citizen=citizen, state="confirmed").merchant == owner.merchant
        paid = Order.objects.get(citizen=citizen, state="completed")
        assert paid.paid_points > 0 and paid.paid_card_minor > 0
        assert Product.objects.filter(merchant=owner.merchant).count() == 6
        # Each step is a notice in the conversation.
        assert mine.messages.filter(event__order=paid.code).count() == 5
        # Newsletters of the town and of the owner's business, one sent, one draft each.
        assert Newsletter.objects.count() == 2
        assert set(Subscriber.objects.values_list("status", flat=True)) == {
            "confirmed", "pending", "unsubscribed",
        }  # fmt: skip
        assert (
            sorted(Issue.objects.values_list("status", flat=True)) == ["draft"] * 2 + ["sent"] * 2
        )
        assert CannedReply.objects.filter(merchant=owner.merchant).count() == 3
        assert MessageReport.objects.count() == 1
    # The demo's bank statement pays two orders and the open employer invoice.
    with scopes_disabled():
        city = City.objects.get(slug="rheinstadt")
        data = (Path(tmp_path) / "demo" / "camt053-rheinstadt.xml").read_bytes()
        results = bank_statement_import(city=city, data=data, file_name="demo.xml")
    assert [r.outcome for r in results] == ["paid", "paid", "paid", "unmatched"]


def test_it_prints_the_current_code_of_a_demo_login(db, capsys):
    call_command("demo_seed", citizens=0, quiet=True)
    call_command("demo_totp", "operator@rheinstadt.example")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
