"""Every page, in every language, in a German (EUR) and a Swiss (CHF) town.

Each GET URL pattern is opened with real objects in its URL by the people who may see it
(and by someone who may not, and by an anonymous visitor) in de, en, fr and it: no page
answers 5xx, each answers what fits (200 for its people, 302 to the login, 403/404 for
others). Pages that render also keep to one way of writing money (never a sign beside
a code, "100,00 € CHF"; no euro sign in a franc town) and to the formal "Sie" in German.

A URL pattern this file does not know fails ``test_every_url_pattern_is_covered``: add
it to PAGES (or, with a reason, to one of the sets of patterns not opened here).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from marktplatz.accounts.models import Invitation
from marktplatz.accounts.selectors import token_hash
from marktplatz.api.services import terminal_key_create
from marktplatz.chat import services as chat
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import MemberEvent, Reward
from marktplatz.messenger import services as messenger
from marktplatz.newsletters import services as newsletters
from marktplatz.notifications.models import Notification
from marktplatz.orders import services as orders
from marktplatz.orders.models import Product
from marktplatz.purses import imports, invoicing
from marktplatz.purses import services as purses
from marktplatz.purses.models import Employee
from marktplatz.settlement import services as settlement
from marktplatz.testing import factories
from marktplatz.vouchers import payments
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.models import VoucherProduct

LANGUAGES = ("de", "en", "fr", "it")
# A 1×1 transparent PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
TOKEN = "an-open-invitation-token"


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


MONTH = timezone.localdate().replace(day=1)

# Who opens a page. "stranger" is a citizen of the town without any other role.
PERSONAS = (
    "op_admin",
    "op_staff",
    "owner",
    "manager",
    "cashier",
    "employer",
    "city_staff",
    "citizen",
    "stranger",
    "anon",
)

LOGIN = 302  # an anonymous visitor is sent to the login
BACK_OFFICE = {"citizen": 403, "anon": LOGIN}
MERCHANT_ONLY = {"citizen": 404, "anon": LOGIN}
MEMBER = {"citizen": 200, "anon": LOGIN}
PUBLIC = {"citizen": 200, "anon": 200}
NOT_IN_IT = {"op_admin": 404, "stranger": 404, "anon": LOGIN}
CONVERSATION = {"citizen": 200, "owner": 200, "cashier": 200, **NOT_IN_IT}

# url name → (which objects go into its URL, {persona: expected status}).
PAGES: dict[str, tuple[str | None, dict[str, int]]] = {
    # The town and the person
    "home": (None, {"op_admin": 200, "owner": 200, "employer": 200, "city_staff": 200, **PUBLIC}),
    "me": (None, {"op_admin": 200, "cashier": 200, **MEMBER}),
    "brand_css": (None, PUBLIC),
    "manifest": (None, PUBLIC),
    "service_worker": (None, PUBLIC),
    "healthz": (None, {"anon": 200}),
    # Staff and invitations
    "town_staff": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "invite": (None, {"op_admin": 200, **BACK_OFFICE}),
    "merchant_invite": ("merchant", {"owner": 200, "cashier": 403, **MERCHANT_ONLY}),
    "invitation_accept": ("token", {"stranger": 200, "anon": 200}),
    "audit_log": (None, {"op_admin": 200, "op_staff": 403, **BACK_OFFICE}),
    "town_settings": (None, {"op_admin": 200, "op_staff": 403, **BACK_OFFICE}),
    "departments": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    # Businesses
    "merchant_directory": (None, PUBLIC),
    "merchant_signup": (None, MEMBER),
    "merchant_detail": ("merchant", PUBLIC),
    "merchant_home": ("merchant", {"owner": 200, "manager": 200, **MERCHANT_ONLY}),
    "merchant_edit": ("merchant", {"owner": 200, "manager": 200, **MERCHANT_ONLY}),
    "merchant_staff": ("merchant", {"owner": 200, **MERCHANT_ONLY}),
    "operator_merchants": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "operator_merchant_new": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_merchant": ("merchant", {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "operator_employers": (None, {"op_admin": 200, **BACK_OFFICE}),
    # Follows and offers
    "offers": (None, PUBLIC),
    "offer_detail": ("offer", PUBLIC),
    "follows": (None, MEMBER),
    "merchant_offers": (
        "merchant",
        {"owner": 200, "manager": 200, "cashier": 403, **MERCHANT_ONLY},
    ),
    "merchant_offer_new": ("merchant", {"owner": 200, "cashier": 403, **MERCHANT_ONLY}),
    "merchant_offer_edit": ("merchant_offer", {"owner": 200, "cashier": 403, **MERCHANT_ONLY}),
    "operator_offers": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "operator_offer_new": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_offer_edit": ("town_offer", {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    # Chat: the citizen and the business's staff, nobody else (the operator neither)
    "conversations": (None, MEMBER),
    "conversation": ("conversation", CONVERSATION),
    "conversation_poll": ("conversation", CONVERSATION),
    "message_picture": ("picture_message", CONVERSATION),
    "message_report": ("reported_message", {"citizen": 200, "owner": 404, **NOT_IN_IT}),
    "inbox": ("merchant", {"owner": 200, "cashier": 200, **NOT_IN_IT}),
    "inbox_replies": ("merchant", {"owner": 200, "manager": 200, "cashier": 403, **NOT_IN_IT}),
    "operator_chat_reports": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "notification_list": (None, {"citizen": 200, "owner": 200, "cashier": 200, "anon": LOGIN}),
    "notification_settings": (None, {"citizen": 200, "owner": 200, "anon": LOGIN}),
    "notification_open": ("notification", {"citizen": 302, "owner": 404, "anon": LOGIN}),
    "order_new": ("merchant", {"citizen": 200, "owner": 200, "anon": LOGIN}),
    "newsletter_subscribe": ("newsletter", PUBLIC),
    "newsletter_confirm": ("subscriber", PUBLIC),
    "newsletter_unsubscribe": ("subscriber", PUBLIC),
    "merchant_newsletter": ("merchant", {"owner": 302, "cashier": 403, **MERCHANT_ONLY}),
    "operator_newsletter": (None, {"op_admin": 302, "op_staff": 302, **BACK_OFFICE}),
    "newsletter_issues": (
        "newsletter",
        {"owner": 200, "manager": 200, "cashier": 403, **NOT_IN_IT},
    ),
    "newsletter_issue_new": ("newsletter", {"owner": 200, "cashier": 403, **NOT_IN_IT}),
    "newsletter_issue": ("newsletter_issue", {"owner": 200, "cashier": 403, **NOT_IN_IT}),
    "my_orders": (None, MEMBER),
    "order_detail": ("shop_order", CONVERSATION),
    "order_board": ("merchant", {"owner": 200, "cashier": 200, **NOT_IN_IT}),
    "product_list": ("merchant", {"owner": 200, "cashier": 200, **NOT_IN_IT}),
    "product_new": ("merchant", {"owner": 200, "manager": 200, "cashier": 403, **NOT_IN_IT}),
    "product_edit": ("product", {"owner": 200, "manager": 200, "cashier": 403, **NOT_IN_IT}),
    "order_settings": ("merchant", {"owner": 200, "manager": 200, "cashier": 403, **NOT_IN_IT}),
    # The city card
    "card": (None, {"op_admin": 200, **MEMBER}),
    "card_join": (None, {"citizen": 302, "stranger": 200, "anon": LOGIN}),
    "rewards": (None, MEMBER),
    "card_purse": (None, MEMBER),
    "pos": ("merchant", {"owner": 200, "manager": 200, "cashier": 200, **MERCHANT_ONLY}),
    "pos_today": ("merchant", {"owner": 200, "cashier": 200, **MERCHANT_ONLY}),
    "merchant_card_payment": ("merchant", {"owner": 200, "cashier": 200, **MERCHANT_ONLY}),
    "merchant_rewards": ("merchant", {"owner": 200, **MERCHANT_ONLY}),
    "operator_card": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "operator_rules": (None, {"op_admin": 200, "op_staff": 403, **BACK_OFFICE}),
    "operator_holders": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_card_csv": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_batch_pdf": ("batch", {"op_admin": 200, **BACK_OFFICE}),
    "operator_rewards": (None, {"op_admin": 200, **BACK_OFFICE}),
    # Vouchers
    "voucher_balance": (None, PUBLIC),
    "voucher_shop": (None, PUBLIC),
    "voucher_order": ("order", PUBLIC),
    "voucher_order_invoice": ("order", PUBLIC),
    "merchant_vouchers": ("merchant", {"owner": 200, "cashier": 200, **MERCHANT_ONLY}),
    "operator_vouchers": (None, {"op_admin": 200, "op_staff": 200, **BACK_OFFICE}),
    "operator_voucher": ("voucher", {"op_admin": 200, **BACK_OFFICE}),
    "operator_voucher_pdf": ("voucher_pdf", {"op_admin": 200, **BACK_OFFICE}),
    "operator_voucher_orders": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_voucher_order": ("order", {"op_admin": 200, **BACK_OFFICE}),
    # Employer benefits
    "employer_home": ("employer", {"employer": 200, "citizen": 404, "anon": LOGIN}),
    "employer_import": ("employer_job", {"employer": 200, "citizen": 404, "anon": LOGIN}),
    "employer_load": ("employer", {"employer": 200, "citizen": 404, "anon": LOGIN}),
    "employer_payroll": ("employer_month", {"employer": 200, "citizen": 404, "anon": LOGIN}),
    "employer_invoice_pdf": (
        "employer_invoice",
        {"employer": 200, "citizen": 404, "anon": LOGIN},
    ),
    "operator_employer_invoices": (None, {"op_admin": 200, **BACK_OFFICE}),
    # Settlement
    "operator_settlement": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_bank_import": (None, {"op_admin": 200, **BACK_OFFICE}),
    "operator_money_rules": (None, {"op_admin": 200, "op_staff": 403, **BACK_OFFICE}),
    "operator_payment_file": ("payouts_file", {"op_admin": 200, **BACK_OFFICE}),
    "merchant_statements": ("merchant", {"owner": 200, **MERCHANT_ONLY}),
    "statement_detail": ("statement", {"owner": 200, **MERCHANT_ONLY}),
    "statement_csv": ("statement", {"owner": 200, **MERCHANT_ONLY}),
    "statement_pdf": ("statement", {"owner": 200, **MERCHANT_ONLY}),
    "statement_invoice": ("statement", {"owner": 200, **MERCHANT_ONLY}),
    "terminal_keys": ("merchant", {"owner": 200, **MERCHANT_ONLY}),
    # Wallet passes (off without certificates: wallet/tests render them in each language)
    "wallet_apple": (None, {"citizen": 404, "anon": LOGIN}),
    "wallet_google": (None, {"citizen": 404, "anon": LOGIN}),
    "wallet_apple_root": (None, {"anon": 404}),
    # Logging in, accounts and the second factor (allauth's pages in our layout)
    "account_login": (None, {"anon": 200}),
    "account_logout": (None, {"citizen": 200}),
    "account_inactive": (None, {"anon": 200}),
    "account_signup": (None, {"anon": 200}),
    "account_reauthenticate": (None, {"citizen": 200}),
    "account_email": (None, {"citizen": 200, "anon": LOGIN}),
    "account_email_verification_sent": (None, {"anon": 302}),
    "account_change_password": (None, {"citizen": 200, "anon": LOGIN}),
    "account_set_password": (None, {"citizen": 302}),
    "account_reset_password": (None, {"anon": 200}),
    "account_reset_password_done": (None, {"anon": 200}),
    "account_reset_password_from_key": ("reset_key", {"anon": 200}),
    "account_reset_password_from_key_done": (None, {"anon": 200}),
    "account_request_login_code": (None, {"anon": 200}),
    "account_confirm_login_code": (None, {"anon": 302}),
    "mfa_index": (None, {"op_admin": 200, "citizen": 200, "anon": LOGIN}),
    "mfa_authenticate": (None, {"anon": 302}),
    "mfa_reauthenticate": (None, {"op_admin": 200}),
    "mfa_activate_totp": (None, {"citizen": 302, "anon": LOGIN}),
    "mfa_deactivate_totp": (None, {"op_admin": 302}),
    "mfa_view_recovery_codes": (None, {"op_admin": 404}),  # none made yet
    "mfa_generate_recovery_codes": (None, {"op_admin": 302}),
    "mfa_download_recovery_codes": (None, {"op_admin": 404}),
}

# Patterns that take no GET: opening them answers 405 (or redirects), never 5xx.
POST_ONLY = {
    "newsletter_issue_send",
    "notifications_read",
    "push_subscribe",
    "push_unsubscribe",
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
    "merchant_follow",
    "offer_events",
    "offer_save",
    "merchant_offer_withdraw",
    "operator_offer_withdraw",
    "card_claim",
    "card_renew",
    "pos_card",
    "pos_earn",
    "pos_redeem",
    "pos_cancel",
    "pos_refund",
    "reward_claim",
    "event_rsvp",
    "role_revoke",
    "invitation_revoke",
    "terminal_key_revoke",
    "employer_employee_active",
    "wallet_apple_log",
    "set_language",
}
# Not pages of a town: files served as they are, and Apple's pass web service (a device
# protocol without a language; wallet/tests/test_wallet.py follows it call by call).
NOT_PAGES = {
    "media",
    "wallet_apple_registration",
    "wallet_apple_updated",
    "wallet_apple_latest",
}


def _url_names(resolver=None, names=None) -> set[str]:
    resolver = resolver or get_resolver()
    names = set() if names is None else names
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            # Django's admin and the POS API (JSON, tested in api/tests) are not pages.
            if pattern.namespace == "admin" or str(pattern.pattern).startswith("api/pos/"):
                continue
            _url_names(pattern, names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_url_pattern_is_covered():
    assert _url_names() - NOT_PAGES - POST_ONLY == set(PAGES)
    assert not (set(PAGES) & POST_ONLY)


@pytest.fixture(params=["altdorf", "bergdorf"])
def town(request, db):
    city = request.getfixturevalue("town_a" if request.param == "altdorf" else "town_b")
    swiss = city.country == "CH"
    city.bank_account_holder = f"Stadtkasse {city.name}"
    city.bank_iban = "CH9300762011623852957" if swiss else "DE89370400440532013000"
    city.sepa_creditor_id = "" if swiss else "DE98ZZZ09999999999"
    city.postal_street, city.postal_code, city.postal_town = "Rathausplatz 1", "7960", city.name
    city.save()
    return city


@pytest.fixture
def world(town):
    """A town as it is in its first month: every role, a card with bookings of each kind,
    vouchers sold, ordered and loaded, an employer's benefits, a settled month."""
    currency = town.currency
    shop = factories.merchant(city=town, name="Bäckerei am Markt", iban=town.bank_iban)
    other_shop = factories.merchant(city=town, name="Buchladen", iban=town.bank_iban)
    employer = factories.employer(city=town, name="Stadtwerke")
    employer.street, employer.postcode, employer.locality = "Werkstr. 1", "7960", town.name
    employer.save()
    department = factories.department(city=town)
    slug = town.slug
    people = {
        "op_admin": factories.person(f"admin@{slug}.example", town, "operator_admin"),
        "op_staff": factories.person(f"staff@{slug}.example", town, "operator_staff"),
        "owner": factories.person(f"owner@{slug}.example", town, "merchant_owner", merchant=shop),
        "manager": factories.person(
            f"manager@{slug}.example", town, "merchant_manager", merchant=shop
        ),
        "cashier": factories.person(
            f"cashier@{slug}.example", town, "merchant_cashier", merchant=shop
        ),
        "employer": factories.person(
            f"hr@{slug}.example", town, "employer_admin", employer=employer
        ),
        "city_staff": factories.person(
            f"office@{slug}.example", town, "city_staff", department=department
        ),
        "citizen": factories.person(f"citizen@{slug}.example", town, "citizen"),
        "stranger": factories.user(f"stranger@{slug}.example"),
    }
    admin = people["op_admin"]

    # The citizen's card: welcome bonus, purchases, a refund, points paid, a correction.
    card = loyalty.member_for_user(city=town, user=people["citizen"]).cards.get()
    purchase, _ = loyalty.earn(
        city=town, merchant=shop, card=card, purchase_minor=12000, currency=currency,
        idempotency_key="e1",
    )  # fmt: skip
    loyalty.earn(
        city=town, merchant=other_shop, card=card, purchase_minor=4550, currency=currency,
        idempotency_key="e2",
    )  # fmt: skip
    loyalty.refund(booking=purchase, purchase_minor=2000, idempotency_key="r1")
    loyalty.redeem(city=town, merchant=other_shop, card=card, points=100, idempotency_key="p1")
    loyalty.points_adjust(member=card.member, points=15, reason="Stadtfest", actor=admin)
    batch = loyalty.card_batch_issue(city=town, actor=admin, size=2)
    Reward.objects.create(city=town, merchant=shop, title="Kaffee", points=50)
    MemberEvent.objects.create(
        city=town, title="Stadtführung", starts_at=timezone.now() + dt.timedelta(days=3),
        location="Rathaus", capacity=20,
    )  # fmt: skip
    terminal_key_create(merchant=shop, name="Kasse 1", actor=people["owner"])
    Invitation.objects.create(
        city=town, email=f"new@{slug}.example", kind="merchant_cashier", merchant=shop,
        token_hash=token_hash(TOKEN), expires_at=timezone.now() + dt.timedelta(days=3),
        invited_by=people["owner"],
    )  # fmt: skip

    # Vouchers: sold at the counter and spent in part, one ordered online, one on the card.
    product = VoucherProduct.objects.create(city=town, name="Stadtgutschein", value_minor=2500)
    VoucherProduct.objects.create(city=town, name="Wunschbetrag", kind="free")
    voucher = vouchers.voucher_sell(product=product)
    vouchers.voucher_redeem(
        city=town, merchant=shop, code=voucher.secret, amount_minor=500, idempotency_key="v1"
    )
    vouchers.voucher_redeem(
        city=town, merchant=other_shop, code=voucher.secret, amount_minor=2000,
        idempotency_key="v2",
    )  # fmt: skip
    on_card = vouchers.voucher_sell(product=product)
    purses.voucher_load_onto_card(city=town, card=card, code=on_card.secret, actor=None)
    order = payments.order_create(
        product=product, value_minor=None, quantity=2, provider_key="transfer",
        buyer={"buyer_name": "Erika Muster", "buyer_email": f"erika@{slug}.example",
               "buyer_street": "Gasse 2", "buyer_postcode": "7960", "buyer_town": town.name,
               "buyer_country": town.country},
        order_url=lambda order: f"/{slug}/vouchers/orders/{order.code}/",
    )  # fmt: skip

    # Employer benefits: an import, the month's load, the invoice of the month.
    job = imports.import_start(
        employer=employer, actor=people["employer"], file_name="staff.csv",
        data=(
            "Personalnummer;Vorname;Nachname;E-Mail;Kartennummer;Monatsbetrag\n"
            f"1001;Anna;Adler;anna@{slug}.example;{card.number};30,00\n"
        ).encode("utf-8-sig"),
    )  # fmt: skip
    imports.import_run(job)
    Employee.objects.create(
        city=town, employer=employer, personnel_number="1002", first_name="Bernd",
        last_name="Berg",
    )  # fmt: skip
    purses.benefits_load(employer=employer, run_key="load-1", actor=people["employer"])
    purses.purse_pay(city=town, merchant=shop, card=card, amount_minor=550, idempotency_key="pp1")

    # The month settled: statements for both businesses, the employer's invoice.
    _start, end = settlement.period_bounds(city=town, month=MONTH)
    after = end + dt.timedelta(hours=2)
    statements = settlement.settle_month(city=town, month=MONTH, actor=admin, now=after)
    # The bakery owes this month (its fee is more than it took in vouchers): an invoice;
    # the bookshop is paid out.
    statement = next(s for s in statements if s.merchant == shop)
    assert statement.net_minor < 0
    invoice = invoicing.employer_invoices_issue(city=town, month=MONTH, now=after)[0]
    # Offers: the bakery's (followed by the citizen), the town's, each with an image.
    offer = factories.offer(city=town, merchant=shop, title="Brezeln", bonus_points=5)
    town_offer = factories.offer(city=town, title="Stadtfest", image_alt="Der Marktplatz")
    town_offer.image.save("stadtfest.png", ContentFile(_PNG), save=True)
    messenger.merchant_follow(user=people["citizen"], merchant=shop)
    messenger.category_follow(city=town, user=people["citizen"], category="books")
    # A conversation of the citizen with the bakery: a question, an answer with a picture
    # (reported by the citizen), a canned reply of the bakery.
    conversation = chat.conversation_open(citizen=people["citizen"], merchant=shop)
    chat.message_post(
        conversation=conversation, sender=people["citizen"], side="citizen", body="Brezeln?"
    )
    answer, _created = chat.message_post(
        conversation=conversation, sender=people["owner"], side="merchant", body="Ja!",
        image=ContentFile(_picture(), name="brezel.png"),
    )  # fmt: skip
    chat.message_report(message=answer, reporter=people["citizen"], reason="Test")
    chat.canned_reply_save(merchant=shop, title="Hallo", body="Guten Tag!", actor=people["owner"])
    # The bakery takes orders: pickup every half hour of its opening hours, delivery to its
    # postcode; the citizen's delivery order is confirmed (the payment can be chosen).
    orders.order_settings_save(
        merchant=shop, actor=people["owner"],
        values={"takes_orders": True, "pickup": True, "delivery": True,
                "delivery_postcodes": shop.postcode, "delivery_fee_minor": 200},
    )  # fmt: skip
    bread = orders.product_save(
        product=Product(city=town, merchant=shop, name="Bauernbrot", price_minor=450),
        actor=people["owner"],
    )
    shop_order, _created = orders.order_place(
        citizen=people["citizen"], merchant=shop, fulfilment="delivery",
        quantities={bread.code: 2}, note="Bitte klingeln",
        address={"name": "Cora", "street": "Gasse 2", "postcode": shop.postcode},
    )  # fmt: skip
    orders.order_confirm(order=shop_order, actor=people["owner"], ready_at=after)
    # The bakery's newsletter: a subscriber (confirmed) and a draft.
    newsletter = newsletters.newsletter_of(city=town, merchant=shop)
    subscriber = newsletters.subscribe(newsletter=newsletter, email="kim@example.org", source="t")
    newsletters.confirm(subscriber=subscriber, source="t")
    draft = newsletters.issue_save(
        newsletter=newsletter, actor=people["owner"], subject="Neu", body="Brezeln"
    )
    mail.outbox.clear()
    return {
        "town": town,
        "people": people,
        "card": card,
        "voucher": voucher,
        "args": {
            "merchant": (shop.code,),
            "token": (TOKEN,),
            "batch": (batch.code,),
            "order": (order.code,),
            "voucher": (voucher.code,),
            "voucher_pdf": (voucher.code, "a6"),
            "employer": (employer.code,),
            "employer_job": (employer.code, job.code),
            "employer_month": (employer.code, f"{MONTH:%Y-%m}"),
            "employer_invoice": (employer.code, invoice.code),
            "statement": (statement.merchant.code, statement.code),
            "payouts_file": (f"{MONTH:%Y-%m}", "payouts"),
            "reset_key": ("1", "not-a-valid-key"),
            "offer": (offer.code,),
            "merchant_offer": (shop.code, offer.code),
            "town_offer": (town_offer.code,),
            "conversation": (conversation.code,),
            "picture_message": (conversation.code, answer.code),
            "reported_message": (conversation.code, answer.code),
            "shop_order": (shop_order.code,),
            "newsletter": (newsletter.code,),
            "newsletter_issue": (newsletter.code, draft.code),
            "subscriber": (subscriber.code, newsletters.token_of(subscriber)),
            "notification": (
                Notification.objects.filter(user=people["citizen"]).order_by("pk").first().pk,
            ),
            "product": (shop.code, bread.code),
        },
    }


# German words of the informal address ("du"); the platform says "Sie" throughout.
INFORMAL = re.compile(
    r"\b(du|dein|deine|deinen|deinem|deiner|deines|dich|dir|euch|euer|eure)\b", re.IGNORECASE
)
TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def _visible_text(body: str) -> str:
    return html.unescape(TAG.sub(" ", body))


def _problems(response, *, lang: str, town) -> list[str]:
    """What a rendered HTML page must not show, beyond its status code."""
    if "text/html" not in response.get("Content-Type", ""):
        return []
    text = _visible_text(response.content.decode())
    found = []
    if re.search(r"€[\s\xa0\u202f]*(CHF|EUR)|CHF[\s\xa0\u202f]*€", text):
        found.append("a currency sign beside a currency code")
    if town.currency == "CHF" and "€" in text:
        found.append("a euro sign in a franc town")
    if lang == "de" and (informal := INFORMAL.search(text)):
        found.append(f"informal German {informal.group(0)!r}")
    return found


def _clients(people) -> dict[str, factories.LoginClient]:
    clients = {"anon": factories.LoginClient()}
    for persona, user in people.items():
        clients[persona] = factories.LoginClient()
        clients[persona].force_login(user)
    return clients


def test_every_page_answers_in_every_language(world):
    town = world["town"]
    clients = _clients(world["people"])
    paths = _sample_paths()
    failures = []
    for lang in LANGUAGES:
        for client in clients.values():
            client.cookies["mp_language"] = lang
        for name, (args_key, expected) in sorted(PAGES.items()):
            args = world["args"][args_key] if args_key else ()
            url = f"/{town.slug}" + reverse(name, args=args)
            for persona, status in expected.items():
                response = clients[persona].get(url)
                where = f"{lang} {town.slug} {persona} GET {url}"
                if response.status_code >= 500 or response.status_code != status:
                    failures.append(f"{where}: {response.status_code}, expected {status}")
                    continue
                failures += [f"{where}: {p}" for p in _problems(response, lang=lang, town=town)]
        for name in sorted(POST_ONLY):
            # Opened by mistake (a bookmark, a reload): never a server error.
            url = f"/{town.slug}/" + paths[name]
            status = clients["citizen"].get(url).status_code
            if status >= 500:
                failures.append(f"{lang} {town.slug} citizen GET {url}: {status}")
    assert not failures, "\n".join(failures)


def _sample_paths(resolver=None, prefix="") -> dict[str, str]:
    """url name → its path with a made-up value in each argument."""
    resolver = resolver or get_resolver()
    paths = {}
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            paths.update(_sample_paths(pattern, prefix + str(pattern.pattern)))
        elif pattern.name:
            paths[pattern.name] = re.sub(r"<(?:\w+:)?\w+>", "x0", prefix + str(pattern.pattern))
    return paths


def test_the_till_answers_in_every_language(world):
    """What the cashier sends: card lookup, purchase, points, voucher, purse payment; and
    the public balance check. Each answer renders money in the page's language."""
    town, card = world["town"], world["card"]
    shop = world["args"]["merchant"][0]
    product = VoucherProduct.objects.get(city=town, name="Stadtgutschein")
    voucher = vouchers.voucher_sell(product=product)
    # Points enough to redeem the programme's minimum once per language.
    programme = loyalty.programme_for(city=town)
    merchant = card.member.bookings.filter(kind="earn").first().merchant
    loyalty.earn(
        city=town, merchant=merchant, card=card, currency=town.currency, idempotency_key="big",
        purchase_minor=programme.min_redeem_points * 4 * 100 // programme.points_per_unit + 100,
    )  # fmt: skip
    redeem = str(max(programme.min_redeem_points, 1))
    cashier = factories.LoginClient()
    cashier.force_login(world["people"]["cashier"])
    visitor = factories.LoginClient()
    till = f"/{town.slug}/merchant/{shop}"
    failures = []
    for n, lang in enumerate(LANGUAGES):
        cashier.cookies["mp_language"] = visitor.cookies["mp_language"] = lang
        sent = [
            (cashier, f"{till}/pos/card/", {"card": card.number}, "€"),
            (cashier, f"{till}/pos/earn/", {"card": card.number, "key": f"k{n}", "amount": "12,50"}, 'class="panel receipt"'),
            (cashier, f"{till}/pos/redeem/", {"card": card.number, "key": f"r{n}", "points": redeem}, "€"),
            (cashier, f"{till}/vouchers/", {"key": f"v{n}", "code": voucher.secret, "amount": "1"}, "€"),
            (cashier, f"{till}/card-payment/", {"key": f"p{n}", "card": card.number, "amount": "0,50"}, "€"),
            (visitor, f"/{town.slug}/vouchers/balance/", {"code": voucher.secret}, "€"),
        ]  # fmt: skip
        # The last item is what the answer must show: "€" stands for the town's currency.
        for client, url, data, shows in sent:
            response = client.post(url, data)
            where = f"{lang} {town.slug} POST {url}"
            if response.status_code != 200:
                failures.append(f"{where}: {response.status_code}")
                continue
            failures += [f"{where}: {p}" for p in _problems(response, lang=lang, town=town)]
            body = _visible_text(response.content.decode())
            if shows == "€" and ("€" if town.currency == "EUR" else "CHF") not in body:
                failures.append(f"{where}: no amount in the town's currency")
            elif shows != "€" and shows not in response.content.decode():
                failures.append(f"{where}: no {shows}")
    assert not failures, "\n".join(failures)


BAD_INPUT = ({}, {"amount": "abc", "points": "-1", "card": "1", "code": "?", "email": "x"})


def test_every_page_takes_bad_input_without_a_server_error(world):
    """A form sent empty or with nonsense, by the people who may open the page, in the
    languages whose locale once failed in a German town: a form error or a 4xx."""
    town = world["town"]
    clients = _clients(world["people"])
    failures = []
    for lang in ("fr", "it"):
        for client in clients.values():
            client.cookies["mp_language"] = lang
        for name, (args_key, expected) in sorted(PAGES.items()):
            if name.startswith(("account_", "mfa_")):
                continue  # allauth's own forms (logging out would end the session)
            args = world["args"][args_key] if args_key else ()
            url = f"/{town.slug}" + reverse(name, args=args)
            for persona in (p for p, status in expected.items() if status == 200):
                for data in BAD_INPUT:
                    status = clients[persona].post(url, data).status_code
                    if status >= 500:
                        failures.append(f"{lang} {town.slug} {persona} POST {url} {data}: {status}")
    assert not failures, "\n".join(failures)
