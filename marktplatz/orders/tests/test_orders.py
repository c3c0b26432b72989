"""Click & collect and delivery through the pages: a citizen orders, the business's staff
confirm, get it ready and hand it over, paid at the counter or with the city card."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from marktplatz.audit.models import AuditEvent
from marktplatz.chat.models import Message
from marktplatz.ledger.models import Account
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.models import Booking
from marktplatz.orders import selectors, services
from marktplatz.orders.models import Order, Product
from marktplatz.testing import factories

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    """The page's text with the no-break spaces of amounts as plain spaces."""
    return html.unescape(response.content.decode()).replace("\xa0", " ").replace("\u202f", " ")


def _slot(shop, index=0):
    return selectors.pickup_slots(merchant=shop, now=timezone.now())[index].value


def _place(client, url, town, shop, key="o1", **fields):
    data = {"key": key, "fulfilment": "pickup", **fields}
    return client.post(url(town, "order_new", shop.code), data)


def _staff(user, language="en"):
    staff = factories.LoginClient()
    staff.cookies["mp_language"] = language
    staff.force_login(user)
    return staff


def _step(client, url, town, order, step, **data):
    return client.post(url(town, "order_step", order.code, step), data)


def test_a_pickup_order_from_request_to_handover_paid_with_points(
    client, dave, bob, carol, town_a, shop_a, ordering, url
):
    member = loyalty.member_for_user(city=town_a, user=dave)
    loyalty.bonus_grant(member=member, reason_code="bonus.test", points=900)  # 1,000 in all
    client.force_login(dave)
    client.cookies["mp_language"] = "en"
    page = client.get(url(town_a, "merchant_detail", shop_a.code)).content.decode()
    assert "Bauernbrot" in page and url(town_a, "order_new", shop_a.code) in page
    form = client.get(url(town_a, "order_new", shop_a.code))
    assert form.status_code == 200 and "places left" in form.content.decode()
    slot = _slot(shop_a)
    fields = {f"qty_{ordering['bread'].code}": "2", f"qty_{ordering['pretzel'].code}": "3",
              "pickup_at": slot, "note": "Bitte <b>knusprig</b>"}  # fmt: skip
    first = _place(client, url, town_a, shop_a, **fields)
    again = _place(client, url, town_a, shop_a, **fields)  # the button pressed twice
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    order = Order.objects.get()
    assert (order.state, order.subtotal_minor, order.total_minor) == ("requested", 1170, 1170)
    assert order.lines.count() == 2
    assert order.pickup_at == dt.datetime.fromisoformat(slot)
    # The order is told in the conversation, and the business sees it on its board.
    notice = Message.objects.get(conversation=order.conversation)
    assert notice.event == {"kind": "order", "order": order.code, "step": "requested"}
    assert notice.side == "citizen"
    cashier = _staff(carol)
    board = cashier.get(url(town_a, "order_board", shop_a.code)).content.decode()
    assert order.code in board and "2 × Bauernbrot" in board
    inbox = cashier.get(url(town_a, "inbox", shop_a.code)).content.decode()
    assert f"Order {order.code}" in inbox and "1 new" in inbox
    detail = cashier.get(url(town_a, "order_detail", order.code)).content.decode()
    assert "Bitte &lt;b&gt;knusprig&lt;/b&gt;" in detail  # text, never HTML
    assert "Confirm the order" in detail and "Handed over" not in detail
    # Confirmed from the board (ready at the pickup slot), twice: one step.
    board_confirm = {"ready_at": timezone.localtime(order.pickup_at).strftime("%Y-%m-%dT%H:%M"),
                     "next": "board"}  # fmt: skip
    assert _step(cashier, url, town_a, order, "confirm", **board_confirm).status_code == 302
    assert _step(cashier, url, town_a, order, "confirm", **board_confirm).status_code == 302
    order.refresh_from_db()
    assert order.state == "confirmed" and order.ready_at == order.pickup_at
    assert Message.objects.filter(event__step="confirm").count() == 1
    assert AuditEvent.objects.filter(action="order.confirmed").count() == 1
    # The citizen chooses to pay 10.00 with 1,000 points; the rest at the counter.
    mine = _page(client.get(url(town_a, "order_detail", order.code)))
    assert "You have 1.000 points (worth 10,00 €)" in mine and "Pay with the city card" in mine
    assert _step(client, url, town_a, order, "pay", points="1000").status_code == 302
    order.refresh_from_db()
    assert order.pay_points == 1000
    _step(cashier, url, town_a, order, "ready")
    order.refresh_from_db()
    assert order.state == "ready"
    # The customer can no longer cancel once it is ready.
    assert (
        "Cancel the order"
        not in client.get(url(town_a, "order_detail", order.code)).content.decode()
    )
    _step(client, url, town_a, order, "cancel")
    order.refresh_from_db()
    assert order.state == "ready"
    handover = _page(cashier.get(url(town_a, "order_detail", order.code)))
    assert "book 10,00 € on the city card" in handover
    for _ in range(2):  # handed over twice: one booking
        assert _step(cashier, url, town_a, order, "complete").status_code == 302
    order.refresh_from_db()
    assert order.state == "completed" and order.paid_points == 1000
    assert order.paid_card_minor == 1000
    redeemed = Booking.objects.get(kind="redeem", member=member)
    assert redeemed.points == 1000 and redeemed.merchant == shop_a
    assert Account.objects.get(pk=member.account_id).balance == 0
    done = _page(client.get(url(town_a, "order_detail", order.code)))
    assert "10,00 € paid with the city card" in done and "1,70 € paid at the counter" in done
    conversation = client.get(url(town_a, "conversation", order.conversation.code)).content.decode()
    for text in ("new order", "confirmed, ready at", "ready for pickup", "handed over"):
        assert text in conversation
    assert "will be paid with the city card on handover" in conversation


def test_the_rules_of_each_step_and_their_refusals(
    client, dave, bob, town_a, shop_a, ordering, url
):
    client.force_login(dave)
    client.cookies["mp_language"] = "en"
    _place(
        client,
        url,
        town_a,
        shop_a,
        note="Ein Geburtstagskuchen, Schokolade",
        pickup_at=_slot(shop_a),
    )
    order = Order.objects.get()
    assert order.total_minor is None  # a free text: priced by the business
    owner = _staff(bob)
    ready_at = timezone.localtime(order.pickup_at).strftime("%Y-%m-%dT%H:%M")
    response = _step(owner, url, town_a, order, "confirm", ready_at=ready_at)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "requested"  # "Enter the price of this order."
    page = owner.get(url(town_a, "order_detail", order.code)).content.decode()
    assert "Enter the price of this order." in page
    # The customer may not take the business's steps, and the other way round.
    assert _step(client, url, town_a, order, "confirm", ready_at=ready_at).status_code == 403
    assert _step(owner, url, town_a, order, "pay", points="100").status_code == 403
    assert _step(owner, url, town_a, order, "nonsense").status_code == 404
    # Declining needs a reason.
    _step(owner, url, town_a, order, "decline")
    order.refresh_from_db()
    assert order.state == "requested"
    _step(owner, url, town_a, order, "confirm", ready_at=ready_at, total="24,50")
    order.refresh_from_db()
    assert (order.state, order.total_minor) == ("confirmed", 2450)
    # Now it can no longer be declined, only cancelled (with a reason) by the business.
    _step(owner, url, town_a, order, "decline", reason="zu spät")
    order.refresh_from_db()
    assert order.state == "confirmed"
    _step(owner, url, town_a, order, "cancel")
    order.refresh_from_db()
    assert order.state == "confirmed"
    # Paying with more than the order is worth, or with points one does not have.
    _step(client, url, town_a, order, "pay", points="5000")
    order.refresh_from_db()
    assert order.pay_points == 0
    page = client.get(url(town_a, "order_detail", order.code)).content.decode()
    assert "Not enough points" in page or "Join the city card" in page
    # The customer cancels the confirmed order, twice: one step; then nothing more.
    for _ in range(2):
        _step(client, url, town_a, order, "cancel", reason="Doch nicht")
    order.refresh_from_db()
    assert (order.state, order.cancelled_by, order.reason) == ("cancelled", "citizen", "Doch nicht")
    assert Message.objects.filter(event__step="cancel").count() == 1
    _step(owner, url, town_a, order, "ready")
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert "Next steps" not in owner.get(url(town_a, "order_detail", order.code)).content.decode()


def test_bad_orders_are_refused_and_nothing_is_stored(client, dave, town_a, shop_a, ordering, url):
    client.force_login(dave)
    client.cookies["mp_language"] = "en"
    bread, pretzel = ordering["bread"], ordering["pretzel"]
    slot = _slot(shop_a)
    cases = [
        ({}, "Choose products or describe what you would like to order."),
        ({f"qty_{bread.code}": "100", "pickup_at": slot}, "Ensure this value is less than or equal to 99."),
        ({f"qty_{bread.code}": "-1", "pickup_at": slot}, "greater than or equal to 0"),
        ({f"qty_{bread.code}": "1"}, "Choose a pickup time."),
        ({f"qty_{bread.code}": "1", "pickup_at": "2020-01-01T10:00:00+01:00"}, "Select a valid choice."),
        ({f"qty_{bread.code}": "1", "fulfilment": "delivery", "name": "Dave",
          "street": "Weg 1", "postcode": "12345"}, "Share your location"),
        ({f"qty_{bread.code}": "1", "fulfilment": "delivery", "name": "Dave",
          "street": "Weg 1", "postcode": "12345", "latitude": "47.7", "longitude": "7.7"},
         "does not deliver to this address"),
        ({f"qty_{pretzel.code}": "2", "fulfilment": "delivery", "name": "Dave",
          "street": "Weg 1", "postcode": "79600"}, "The minimum order for delivery is 10,00 €."),
        ({f"qty_{bread.code}": "1", "fulfilment": "delivery", "postcode": "79600"},
         "Enter the name, street and postcode"),
        ({f"qty_{bread.code}": "1", "fulfilment": "teleport"}, "Select a valid choice."),
        ({"note": "x" * 1001, "pickup_at": slot}, "at most 1000 characters"),
    ]  # fmt: skip
    for index, (fields, reason) in enumerate(cases):
        response = _place(client, url, town_a, shop_a, key=f"bad{index}", **fields)
        assert response.status_code == 400, fields
        assert reason in _page(response), (fields, reason)
    # A product sold out today, and one of another business.
    services.product_availability(
        product=bread, available=False, day=town_a.local_date(timezone.now()), actor=None
    )
    response = _place(
        client, url, town_a, shop_a, key="soldout", **{f"qty_{bread.code}": "1", "pickup_at": slot}
    )
    assert response.status_code == 400
    other = factories.merchant(city=town_a, name="Metzgerei")
    ham = Product.objects.create(city=town_a, merchant=other, name="Schinken", price_minor=300)
    with pytest.raises(services.OrderRefused, match="not sold by this shop"):
        services.order_place(citizen=dave, merchant=shop_a, fulfilment="pickup",
                             quantities={ham.code: 1}, pickup_at=None)  # fmt: skip
    with pytest.raises(services.OrderRefused, match="not available today"):
        services.order_place(citizen=dave, merchant=shop_a, fulfilment="pickup",
                             quantities={bread.code: 1}, pickup_at=None)  # fmt: skip
    assert Order.objects.count() == 0 and Message.objects.count() == 0
    # Inside the radius (1 km away) and in a listed postcode, delivery is taken.
    inside = {f"qty_{pretzel.code}": "12", "fulfilment": "delivery", "name": "Dave",
              "street": "Weg 1", "postcode": "12345", "latitude": "47.609", "longitude": "7.700"}  # fmt: skip
    assert _place(client, url, town_a, shop_a, key="in", **inside).status_code == 302
    order = Order.objects.get()
    assert (order.subtotal_minor, order.delivery_fee_minor, order.total_minor) == (1080, 250, 1330)


def test_a_full_slot_a_blocked_customer_and_the_order_limit(
    client, dave, town_a, shop_a, ordering, url
):
    bread = ordering["bread"]
    slot = selectors.pickup_slots(merchant=shop_a, now=timezone.now())[0]
    others = [factories.person(f"p{i}@example.org", town_a, "citizen") for i in range(2)]
    for person in others:
        services.order_place(citizen=person, merchant=shop_a, fulfilment="pickup",
                             quantities={bread.code: 1}, pickup_at=slot.start)  # fmt: skip
    assert slot.start not in [
        s.start for s in selectors.pickup_slots(merchant=shop_a, now=timezone.now())
    ]
    with pytest.raises(services.OrderRefused, match="fully booked"):
        services.order_place(citizen=dave, merchant=shop_a, fulfilment="pickup",
                             quantities={bread.code: 1}, pickup_at=slot.start)  # fmt: skip
    # A cancelled order frees its place.
    first = Order.objects.filter(citizen=others[0]).get()
    services.order_cancel(order=first, side="citizen", actor=others[0])
    services.order_place(citizen=dave, merchant=shop_a, fulfilment="pickup",
                         quantities={bread.code: 1}, pickup_at=slot.start)  # fmt: skip
    # Blocked in the chat: no orders either.
    blocked = others[1]
    conversation = Order.objects.filter(citizen=blocked).get().conversation
    conversation.blocked_at = timezone.now()
    conversation.save()
    later = selectors.pickup_slots(merchant=shop_a, now=timezone.now())[1].start
    with pytest.raises(services.OrderRefused, match="does not take orders from you"):
        services.order_place(citizen=blocked, merchant=shop_a, fulfilment="pickup",
                             quantities={bread.code: 1}, pickup_at=later)  # fmt: skip
    with override_settings(ORDERS_PER_HOUR=2):
        services.order_place(citizen=dave, merchant=shop_a, fulfilment="pickup",
                             quantities={bread.code: 1}, pickup_at=later)  # fmt: skip
        client.force_login(dave)
        client.cookies["mp_language"] = "de"
        response = _place(client, url, town_a, shop_a, key="third", pickup_at=_slot(shop_a, 2),
                          **{f"qty_{bread.code}": "1"})  # fmt: skip
        assert response.status_code == 400
        assert "in kurzer Zeit viele Bestellungen" in _page(response)


def test_the_card_that_cannot_pay_on_handover(client, dave, carol, town_a, shop_a, ordering, url):
    member = loyalty.member_for_user(city=town_a, user=dave)
    loyalty.bonus_grant(member=member, reason_code="bonus.test", points=100)  # 200 in all
    order, _ = services.order_place(
        citizen=dave, merchant=shop_a, fulfilment="pickup",
        quantities={ordering["bread"].code: 1}, pickup_at=selectors.pickup_slots(merchant=shop_a, now=timezone.now())[0].start,
    )  # fmt: skip
    services.order_confirm(order=order, actor=carol, ready_at=order.pickup_at)
    services.order_pay_choose(order=order, citizen=dave, points=200)
    services.order_ready(order=order, actor=carol)
    # The points are spent at the till meanwhile.
    loyalty.redeem(
        city=town_a, merchant=shop_a, card=member.cards.get(), points=150, idempotency_key="till"
    )
    cashier = _staff(carol)
    response = _step(cashier, url, town_a, order, "complete")
    order.refresh_from_db()
    assert order.state == "ready"  # nothing booked, the order as it was
    page = cashier.get(response["Location"]).content.decode()
    assert "The city card could not pay" in page and "Not enough points" in page
    assert "take all at the counter" in page
    _step(cashier, url, town_a, order, "counter")
    _step(cashier, url, town_a, order, "complete")
    order.refresh_from_db()
    assert (order.state, order.paid_card_minor) == ("completed", 0)
    assert Booking.objects.filter(kind="redeem").count() == 1  # the till's only


def test_products_and_settings_are_kept_by_owners_and_managers(
    client, bob, carol, town_a, shop_a, url
):
    owner, cashier = _staff(bob), _staff(carol)
    assert cashier.get(url(town_a, "order_settings", shop_a.code)).status_code == 403
    assert cashier.get(url(town_a, "product_new", shop_a.code)).status_code == 403
    listing = cashier.get(url(town_a, "product_list", shop_a.code)).content.decode()
    assert "New product" not in listing
    response = owner.post(url(town_a, "product_new", shop_a.code),
                          {"name": "Zopf", "price": "3,20", "is_listed": "on", "position": "1"})  # fmt: skip
    assert response.status_code == 302
    zopf = Product.objects.get(name="Zopf")
    assert zopf.price_minor == 320
    again = owner.post(url(town_a, "product_new", shop_a.code),
                       {"name": "Zopf", "price": "3,20", "is_listed": "on", "position": "1"})  # fmt: skip
    assert (
        again.status_code == 400
        and "There is a product with this name already." in again.content.decode()
    )
    bad = owner.post(
        url(town_a, "product_new", shop_a.code), {"name": "Luft", "price": "0", "position": "1"}
    )
    assert bad.status_code == 400 and "greater than zero" in bad.content.decode()
    # A cashier marks it sold out today (twice: one change); tomorrow it is back by itself.
    for _ in range(2):
        cashier.post(
            url(town_a, "product_availability", shop_a.code, zopf.code), {"available": "0"}
        )
    zopf.refresh_from_db()
    today = town_a.local_date(timezone.now())
    assert not zopf.available_on(today) and zopf.available_on(today + timezone.timedelta(days=1))
    assert AuditEvent.objects.filter(action="product.sold_out").count() == 1
    # Settings: delivery needs an area; a radius needs the business's location.
    settings_url = url(town_a, "order_settings", shop_a.code)
    base = {"takes_orders": "on", "pickup": "on", "slot_minutes": "30", "orders_per_slot": "3",
            "lead_minutes": "45", "days_ahead": "2"}  # fmt: skip
    refused = owner.post(settings_url, {**base, "delivery": "on"})
    assert refused.status_code == 400 and "Name the postcodes" in refused.content.decode()
    refused = owner.post(settings_url, {**base, "delivery": "on", "delivery_radius_m": "500"})
    assert "needs your business's location" in _page(refused)
    refused = owner.post(settings_url, {**base, "days_ahead": "30"})
    assert refused.status_code == 400
    saved = owner.post(settings_url, {**base, "delivery": "on", "delivery_postcodes": "79600, 79601 79600",
                                      "delivery_fee": "2,50", "delivery_minimum": "15"})  # fmt: skip
    assert saved.status_code == 302
    rules = selectors.settings_of(merchant=shop_a)
    assert rules.delivery_postcodes == "79600, 79601" and rules.delivery_fee_minor == 250
    assert rules.delivery_minimum_minor == 1500 and rules.slot_minutes == 30
    assert selectors.takes_orders(merchant=shop_a)


def test_orders_are_seen_only_by_their_two_sides(client, dave, bob, town_a, shop_a, ordering, url):
    order, _ = services.order_place(
        citizen=dave, merchant=shop_a, fulfilment="pickup", quantities={ordering["bread"].code: 1},
        pickup_at=selectors.pickup_slots(merchant=shop_a, now=timezone.now())[0].start,
    )  # fmt: skip
    other_citizen = factories.person("erin@example.org", town_a, "citizen")
    other_shop = factories.merchant(city=town_a, name="Metzgerei")
    other_owner = factories.person(
        "frank@example.org", town_a, "merchant_owner", merchant=other_shop
    )
    for person in (other_citizen, other_owner):
        stranger = _staff(person)
        assert stranger.get(url(town_a, "order_detail", order.code)).status_code == 404
        assert _step(stranger, url, town_a, order, "cancel", reason="x").status_code == 404
        assert stranger.get(url(town_a, "order_board", shop_a.code)).status_code == 404
    order.refresh_from_db()
    assert order.state == "requested"
    operator = _staff(factories.person("olga@example.org", town_a, "operator_admin"))
    assert operator.get(url(town_a, "order_detail", order.code)).status_code == 404
    # The citizen's list names the order.
    client.force_login(dave)
    assert order.code in client.get(url(town_a, "my_orders")).content.decode()
    assert re.search(
        r"No orders yet", _staff(other_citizen).get(url(town_a, "my_orders")).content.decode()
    )
