"""A person of town A gets 404 for every object of town B, in every view that takes one."""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from marktplatz.accounts.models import Invitation, Role
from marktplatz.accounts.selectors import token_hash
from marktplatz.audit.models import AuditEvent
from marktplatz.chat import services as chat
from marktplatz.chat.models import CannedReply, Conversation, Message, MessageReport
from marktplatz.loyalty.models import MemberEvent, Reward
from marktplatz.messenger.models import Follow, Offer, SavedOffer
from marktplatz.newsletters.models import Issue, Subscriber
from marktplatz.notifications.models import Notification
from marktplatz.orders.models import Order, Product
from marktplatz.testing import factories

TOKEN = "a-token-of-town-b"


@pytest.fixture
def town_b_objects(town_b, shop_b, charlie):
    cashier = factories.person("bea@example.org", town_b, "merchant_cashier", merchant=shop_b)
    invitation = Invitation.objects.create(
        city=town_b,
        email="new@example.org",
        kind="operator_staff",
        token_hash=token_hash(TOKEN),
        expires_at=timezone.now() + dt.timedelta(days=1),
        invited_by=charlie,
    )
    from marktplatz.api.services import terminal_key_create
    from marktplatz.loyalty import services as loyalty

    card = loyalty.member_for_user(city=town_b, user=charlie).cards.get()
    booking, _ = loyalty.earn(
        city=town_b,
        merchant=shop_b,
        card=card,
        purchase_minor=1000,
        currency="CHF",
        idempotency_key="b-1",
    )
    key, _token = terminal_key_create(merchant=shop_b, name="Kasse", actor=charlie)
    batch = loyalty.card_batch_issue(city=town_b, actor=charlie, size=1)
    reward = Reward.objects.create(city=town_b, merchant=shop_b, title="Bad", points=10)
    from marktplatz.vouchers.models import VoucherProduct
    from marktplatz.vouchers.services import voucher_sell

    voucher = voucher_sell(
        product=VoucherProduct.objects.create(city=town_b, name="Gutschein", value_minor=2000)
    )
    from marktplatz.settlement.models import Statement

    statement = Statement.objects.create(
        city=town_b, merchant=shop_b, period_start=dt.date(2026, 1, 1), net_minor=0
    )
    from marktplatz.purses.imports import import_start
    from marktplatz.purses.models import EmployerInvoice
    from marktplatz.vouchers.models import VoucherOrder

    order = VoucherOrder.objects.create(
        city=town_b, number=1, reference="RF18539007547034", provider="transfer",
        product=voucher.product, value_minor=2000, quantity=1, total_minor=2000,
        buyer_name="B", buyer_email="b@example.org",
    )  # fmt: skip
    employer = factories.employer(city=town_b, name="Bergwerk")
    job = import_start(employer=employer, actor=None, file_name="a.csv", data=b"x")
    from marktplatz.purses.models import Employee

    worker = Employee.objects.create(
        city=town_b, employer=employer, personnel_number="1", first_name="A", last_name="B"
    )
    invoice = EmployerInvoice.objects.create(
        city=town_b, employer=employer, month=dt.date(2026, 1, 1), number=1,
        reference="RF18539007547035", total_minor=1000,
    )  # fmt: skip
    event = MemberEvent.objects.create(
        city=town_b,
        title="Fest",
        starts_at=timezone.now() + dt.timedelta(days=2),
        location="Markt",
        capacity=5,
    )
    offer = factories.offer(city=town_b, merchant=shop_b)
    town_offer = factories.offer(city=town_b)
    citizen = factories.person("ben@example.org", town_b, "citizen")
    conversation = chat.conversation_open(citizen=citizen, merchant=shop_b)
    message, _created = chat.message_post(
        conversation=conversation, sender=cashier, side="merchant", body="Grüezi"
    )
    report = chat.message_report(message=message, reporter=citizen)
    reply = chat.canned_reply_save(merchant=shop_b, title="Hoi", body="Hoi!", actor=charlie)
    from marktplatz.orders import services as orders
    from marktplatz.orders.models import Product

    orders.order_settings_save(
        merchant=shop_b, actor=charlie,
        values={"takes_orders": True, "delivery": True, "delivery_postcodes": shop_b.postcode},
    )  # fmt: skip
    product = Product.objects.create(city=town_b, merchant=shop_b, name="Zopf", price_minor=600)
    shop_order, _created = orders.order_place(
        citizen=citizen, merchant=shop_b, fulfilment="delivery", quantities={product.code: 1},
        address={"name": "Ben", "street": "Gasse 1", "postcode": shop_b.postcode},
    )  # fmt: skip
    from marktplatz.newsletters import services as newsletters
    from marktplatz.notifications.models import Notification

    newsletter = newsletters.newsletter_of(city=town_b, merchant=shop_b)
    subscriber = newsletters.subscribe(newsletter=newsletter, email="b@example.org", source="t")
    draft = newsletters.issue_save(newsletter=newsletter, actor=charlie, subject="S", body="B")
    return {
        "newsletter": newsletter.code,
        "newsletter_issue": (newsletter.code, draft.code),
        "subscriber": (subscriber.code, newsletters.token_of(subscriber)),
        "notification": Notification.objects.filter(user=citizen).first().pk,
        "shop_order": shop_order.code,
        "order_step": (shop_order.code, "cancel"),
        "product": (shop_b.code, product.code),
        "conversation": conversation.code,
        "chat_message": (conversation.code, message.code),
        "canned_reply": (shop_b.code, reply.code),
        "chat_report": report.code,
        "offer": offer.code,
        "merchant_offer": (shop_b.code, offer.code),
        "town_offer": town_offer.code,
        "reward": reward.code,
        "event": event.code,
        "merchant": shop_b.code,
        "merchant_booking": (shop_b.code, booking.code),
        "merchant_key": (shop_b.code, key.code),
        "batch": batch.code,
        "role": Role.objects.get(user=cashier).code,
        "invitation": invitation.code,
        "token": TOKEN,
        "voucher": voucher.code,
        "voucher_pdf": (voucher.code, "a6"),
        "statement": (shop_b.code, statement.code),
        "order": order.code,
        "employer": employer.code,
        "employer_job": (employer.code, job.code),
        "employer_month": (employer.code, "2026-01"),
        "employer_invoice": (employer.code, invoice.code),
        "employee": (employer.code, worker.code),
    }


# url name → which object of town B goes into its URL
OBJECT_VIEWS = {
    "newsletter_subscribe": "newsletter",
    "newsletter_confirm": "subscriber",
    "newsletter_unsubscribe": "subscriber",
    "merchant_newsletter": "merchant",
    "newsletter_issues": "newsletter",
    "newsletter_issue_new": "newsletter",
    "newsletter_issue": "newsletter_issue",
    "newsletter_issue_send": "newsletter_issue",
    "notification_open": "notification",
    "order_new": "merchant",
    "order_detail": "shop_order",
    "order_step": "order_step",
    "order_board": "merchant",
    "product_list": "merchant",
    "product_new": "merchant",
    "product_edit": "product",
    "product_availability": "product",
    "order_settings": "merchant",
    "conversation_start": "merchant",
    "conversation": "conversation",
    "conversation_send": "conversation",
    "conversation_poll": "conversation",
    "conversation_read": "conversation",
    "conversation_state": "conversation",
    "conversation_assign": "conversation",
    "conversation_block": "conversation",
    "message_report": "chat_message",
    "message_picture": "chat_message",
    "inbox": "merchant",
    "inbox_replies": "merchant",
    "inbox_reply_delete": "canned_reply",
    "operator_report_handled": "chat_report",
    "merchant_detail": "merchant",
    "merchant_home": "merchant",
    "merchant_edit": "merchant",
    "merchant_staff": "merchant",
    "merchant_invite": "merchant",
    "operator_merchant": "merchant",
    "role_revoke": "role",
    "invitation_revoke": "invitation",
    "invitation_accept": "token",
    "pos": "merchant",
    "pos_card": "merchant",
    "pos_earn": "merchant",
    "pos_redeem": "merchant",
    "pos_cancel": "merchant_booking",
    "pos_today": "merchant",
    "pos_refund": "merchant",
    "operator_batch_pdf": "batch",
    "terminal_keys": "merchant",
    "terminal_key_revoke": "merchant_key",
    "reward_claim": "reward",
    "event_rsvp": "event",
    "merchant_rewards": "merchant",
    "merchant_vouchers": "merchant",
    "operator_voucher": "voucher",
    "operator_voucher_pdf": "voucher_pdf",
    "merchant_statements": "merchant",
    "statement_detail": "statement",
    "statement_csv": "statement",
    "statement_pdf": "statement",
    "statement_invoice": "statement",
    "voucher_order": "order",
    "voucher_order_invoice": "order",
    "operator_voucher_order": "order",
    "employer_home": "employer",
    "employer_import": "employer_job",
    "employer_load": "employer",
    "employer_payroll": "employer_month",
    "employer_invoice_pdf": "employer_invoice",
    "merchant_card_payment": "merchant",
    "employer_employee_active": "employee",
    "offer_detail": "offer",
    "offer_save": "offer",
    "merchant_follow": "merchant",
    "merchant_offers": "merchant",
    "merchant_offer_new": "merchant",
    "merchant_offer_edit": "merchant_offer",
    "merchant_offer_withdraw": "merchant_offer",
    "operator_offer_edit": "town_offer",
    "operator_offer_withdraw": "town_offer",
}


POST_ONLY = {
    "newsletter_issue_send",
    "order_step",
    "product_availability",
    "conversation_start",
    "conversation_send",
    "conversation_read",
    "conversation_state",
    "conversation_assign",
    "conversation_block",
    "inbox_reply_delete",
    "operator_report_handled",
    "role_revoke",
    "invitation_revoke",
    "pos_card",
    "pos_earn",
    "pos_redeem",
    "pos_cancel",
    "pos_refund",
    "terminal_key_revoke",
    "reward_claim",
    "event_rsvp",
    "employer_employee_active",
    "merchant_follow",
    "offer_save",
    "merchant_offer_withdraw",
    "operator_offer_withdraw",
}


def _named_patterns_with_arguments(resolver=None, seen=None):
    resolver = resolver or get_resolver()
    seen = set() if seen is None else seen
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            # The POS API has its own town tests (keys and cards of another town: 401/404).
            if pattern.namespace in {"admin", "pos"} or "allauth" in str(pattern.urlconf_name):
                continue
            _named_patterns_with_arguments(pattern, seen)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.pattern.converters:
            seen.add(pattern.name)
    return seen


# Apple's pass web service answers 401 for a serial it cannot authenticate (its protocol);
# wallet/tests/test_wallet.py covers it.
PROTOCOL_VIEWS = {"wallet_apple_registration", "wallet_apple_updated", "wallet_apple_latest"}
# Arguments that name no object (a month and a file kind): only the town's own data is read.
PARAMETER_VIEWS = {"operator_payment_file"}


def test_every_view_with_an_object_in_its_url_is_covered():
    named = _named_patterns_with_arguments() - {"media"} - PROTOCOL_VIEWS - PARAMETER_VIEWS
    assert named == set(OBJECT_VIEWS)


@pytest.mark.parametrize("persona", ["alice", "bob"])
@pytest.mark.parametrize("name", sorted(OBJECT_VIEWS))
def test_it_gives_404_for_objects_of_another_town(
    client, request, town_b_objects, url, town_a, name, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    args = town_b_objects[OBJECT_VIEWS[name]]
    target = url(town_a, name, *(args if isinstance(args, tuple) else (args,)))
    if name not in POST_ONLY:
        assert client.get(target).status_code == 404
    assert client.post(target, {"action": "approve", "email": "x@example.org"}).status_code == 404
    # Nothing of town B changed.
    assert Role.objects.filter(code=town_b_objects["role"]).exists()
    assert Invitation.objects.get(code=town_b_objects["invitation"]).is_open
    assert not Offer.objects.filter(withdrawn_at__isnull=False).exists()
    assert not Follow.objects.exists()
    assert not SavedOffer.objects.exists()
    assert list(Message.objects.filter(event__isnull=True).values_list("body", flat=True)) == [
        "Grüezi"
    ]
    assert Order.objects.get().state == "requested"
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert Subscriber.objects.get().status == "pending"
    assert Issue.objects.get().status == "draft"
    assert Product.objects.get().unavailable_on is None
    assert AuditEvent.objects.filter(action="order_settings.saved").count() == 1
    assert Conversation.objects.get().state == "open" and not Conversation.objects.get().blocked_at
    assert CannedReply.objects.count() == 1
    assert MessageReport.objects.get().handled_at is None


def test_it_keeps_town_a_staff_out_of_town_b_pages(client, alice, town_b_objects, url, town_b):
    client.force_login(alice)
    for name in ("operator_merchants", "town_staff", "audit_log", "town_settings"):
        assert client.get(url(town_b, name)).status_code == 403
    assert client.get(url(town_b, "merchant_home", town_b_objects["merchant"])).status_code == 404
