"""Notifications: in the app for everybody, by e-mail and Web Push only by consent. The
pushes go to a local push-service stand-in that checks the VAPID JWT and decrypts the
message with the subscription's keys; the e-mails to a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from marktplatz.audit.models import AuditEvent
from marktplatz.chat import services as chat
from marktplatz.notifications.models import Notification, Preference, PushSubscription
from marktplatz.orders import selectors as orders_selectors
from marktplatz.orders import services as orders
from marktplatz.orders.models import OrderSettings, Product
from marktplatz.testing import factories
from marktplatz.testing.smtp import smtp_server
from marktplatz.testing.webpush import PushService

# The worker closes its database connection after a task, like in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.PUSH_ALLOW_HTTP = True

    def run(*, due_now: bool = False) -> None:
        if due_now:
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        call_command("db_worker", "--batch", "--no-startup-delay")

    return run


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid_file(settings, tmp_path):
    settings.VAPID_PRIVATE_KEY_FILE = str(tmp_path / "vapid.pem")


def _order(town, shop, citizen):
    shop.opening_hours = {
        d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    shop.save()
    OrderSettings.objects.create(city=town, merchant=shop, takes_orders=True, slot_minutes=60)
    bread = Product.objects.create(city=town, merchant=shop, name="Brot", price_minor=400)
    slot = orders_selectors.pickup_slots(merchant=shop, now=timezone.now())[0].start
    return orders.order_place(citizen=citizen, merchant=shop, fulfilment="pickup",
                              quantities={bread.code: 1}, pickup_at=slot)[0]  # fmt: skip


def _consent(client, url, town, *pairs, language="en"):
    client.cookies["mp_language"] = language
    response = client.post(url(town, "notification_settings"), {"on": list(pairs)})
    assert response.status_code == 302


def test_pushes_are_signed_encrypted_and_gone_subscriptions_deleted(
    client, dave, bob, town_a, shop_a, url, tasks, push_service, vapid_file
):
    client.force_login(dave)
    page = client.get(url(town_a, "notification_settings")).content.decode()
    assert 'data-key="' in page  # the VAPID public key for the browser
    live, gone, lost = (push_service.subscribe(201), push_service.subscribe(410),
                        push_service.subscribe(404))  # fmt: skip
    for subscription in (live, gone, lost):
        response = client.post(url(town_a, "push_subscribe"), json.dumps(subscription),
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 201
    bad = client.post(url(town_a, "push_subscribe"), "{}", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"] == "Das ist kein Push-Abonnement."
    _consent(client, url, town_a, "order:push", language="de")
    order = _order(town_a, shop_a, dave)
    orders.order_confirm(order=order, actor=bob, ready_at=order.pickup_at)
    tasks()
    assert push_service.refused(live["endpoint"]) == []
    (message,) = push_service.received(live["endpoint"])
    assert message["title"] == f"Bäckerei Alt hat Ihre Bestellung {order.code} bestätigt."
    assert message["url"] == f"http://localhost:8000/altdorf/orders/{order.code}/"
    assert push_service.refused(live["endpoint"]) == []
    # The push service answered 410 and 404 for the others: those subscriptions are gone.
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [live["endpoint"]]
    # The business's owner gave no consent: the new order reached the app only.
    assert Notification.objects.filter(user=bob, kind="order").count() == 1
    assert Notification.objects.filter(user=dave, kind="order").count() == 1


def test_nothing_leaves_the_app_without_consent(
    client, dave, bob, town_a, shop_a, url, tasks, push_service, vapid_file, settings
):
    client.force_login(dave)
    subscription = push_service.subscribe()
    client.post(
        url(town_a, "push_subscribe"), json.dumps(subscription), content_type="application/json"
    )
    with smtp_server(settings) as mails:
        order = _order(town_a, shop_a, dave)
        orders.order_confirm(order=order, actor=bob, ready_at=order.pickup_at)
        conversation = chat.conversation_open(citizen=dave, merchant=shop_a)
        chat.message_post(conversation=conversation, sender=bob, side="merchant", body="Hallo")
        tasks(due_now=True)
    assert mails == [] and push_service.received(subscription["endpoint"]) == []
    # In the app: the unread count in the menu, the list, opening one reads it.
    client.cookies["mp_language"] = "en"
    assert Notification.objects.filter(user=dave, read_at__isnull=True).count() == 2
    start = client.get(url(town_a, "home")).content.decode()
    assert 'Notifications <span class="badge ok">2' in start
    listing = client.get(url(town_a, "notification_list")).content.decode()
    assert "New message from Bäckerei Alt" in listing and "confirmed your order" in listing
    first = Notification.objects.get(user=dave, kind="order")
    opened = client.get(url(town_a, "notification_open", first.pk))
    assert opened["Location"] == f"/altdorf/orders/{order.code}/"
    first.refresh_from_db()
    assert first.read_at is not None
    other = factories.person("erin@example.org", town_a, "citizen")
    client.force_login(other)
    assert client.get(url(town_a, "notification_open", first.pk)).status_code == 404


def test_unread_chat_messages_are_mailed_once_in_a_batch(
    client, dave, bob, town_a, shop_a, url, tasks, settings
):
    client.force_login(dave)
    _consent(client, url, town_a, "chat:email", "order:email")
    consent = Preference.objects.get(user=dave, kind="chat", channel="email")
    assert consent.enabled and "e-mail or push" in consent.consent_text
    assert consent.consent_source == "/altdorf/notifications/settings/ 127.0.0.0/24"
    assert AuditEvent.objects.filter(action="notifications.consent").count() == 2
    conversation = chat.conversation_open(citizen=dave, merchant=shop_a)
    with smtp_server(settings) as mails:
        for text in ("Ihre Brezeln sind da.", "Wir haben bis 18 Uhr offen.", "Bis gleich!"):
            chat.message_post(conversation=conversation, sender=bob, side="merchant", body=text)
        tasks()  # the batch waits two minutes
        assert mails == []
        assert DBTaskResult.objects.filter(status="READY").count() == 1  # one batch, not three
        tasks(due_now=True)
        tasks(due_now=True)  # run again: nothing more
        assert len(mails) == 1
        mail = mails[0].content.decode()
        assert mails[0].rcpt_tos == ["dave@example.org"]
        assert "3 unread messages at Altdorf" in mail
        for text in ("Ihre Brezeln sind da.", "Wir haben bis 18 Uhr offen.", "Bis gleich!"):
            assert text in mail
        assert "/altdorf/notifications/settings/" in mail
        # A message the citizen reads before the batch goes out is not mailed.
        chat.message_post(conversation=conversation, sender=bob, side="merchant", body="Noch da?")
        client.get(url(town_a, "conversation", conversation.code))
        tasks(due_now=True)
        assert len(mails) == 1
        # Order updates are mailed at once, one by one.
        order = _order(town_a, shop_a, dave)
        orders.order_confirm(order=order, actor=bob, ready_at=order.pickup_at)
        tasks()
        assert len(mails) == 2 and f"confirmed your order {order.code}" in mails[1].content.decode()
    # Withdrawn: nothing more, and the withdrawal is on record.
    _consent(client, url, town_a)
    assert not Preference.objects.filter(enabled=True).exists()
    assert AuditEvent.objects.filter(action="notifications.withdrawn").count() == 2


def test_a_published_offer_tells_every_follower_once(
    client, dave, bob, town_a, shop_a, url, tasks, push_service, vapid_file
):
    from marktplatz.messenger import services as messenger
    from marktplatz.messenger.models import Offer

    erin = factories.person("erin@example.org", town_a, "citizen")
    frank = factories.person("frank@example.org", town_a, "citizen")
    messenger.merchant_follow(user=dave, merchant=shop_a)
    messenger.category_follow(city=town_a, user=dave, category=shop_a.category)  # both ways
    messenger.category_follow(city=town_a, user=erin, category=shop_a.category)
    client.force_login(dave)
    subscription = push_service.subscribe()
    client.post(
        url(town_a, "push_subscribe"), json.dumps(subscription), content_type="application/json"
    )
    _consent(client, url, town_a, "offer:push")
    today = timezone.localdate()
    offer = Offer(city=town_a, merchant=shop_a, title="Zwei Brezeln", text="Heute",
                  starts_on=today, ends_on=today, audience="followers")  # fmt: skip
    messenger.offer_save(offer=offer, actor=bob, publish=True)
    messenger.offer_save(offer=offer, actor=bob, publish=True)  # published once
    rows = Notification.objects.filter(kind="offer")
    assert sorted(rows.values_list("user__email", flat=True)) == [
        "dave@example.org",
        "erin@example.org",
    ]
    assert not rows.filter(user=frank).exists()
    tasks()
    (message,) = push_service.received(subscription["endpoint"])
    assert message["title"] == "New offer of Bäckerei Alt" and message["body"] == "Zwei Brezeln"
