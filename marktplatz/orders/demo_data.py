"""Demo data of click & collect and delivery: the demo owner's business takes orders
(pickup in its opening hours, delivery to its postcode), lists products (one sold out
today) and has orders in every state, two of them the demo citizen's (one confirmed, in
which the citizen can choose to pay with the city card; one handed over and paid with
points). Every step goes through the services, so each is in the conversation too."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.chat.models import Conversation, Message
from marktplatz.loyalty import selectors as loyalty
from marktplatz.loyalty.services import programme_for
from marktplatz.orders import selectors, services
from marktplatz.orders.models import Order, Product
from marktplatz.orders.services import OrderRefused

PRODUCTS = {
    "bakery": [("Bauernbrot", 450), ("Laugenbrezel", 90), ("Dinkelzopf", 380),
               ("Apfelkuchen (Stück)", 320), ("Körnerbrötchen", 70), ("Schwarzwälder Torte", 3200)],
    "default": [("Geschenkgutschein-Karte", 500), ("Tagesangebot", 990), ("Kleine Auswahl", 1490),
                ("Große Auswahl", 2490), ("Geschenkverpackung", 250), ("Überraschungstüte", 700)],
}  # fmt: skip
# (step reached, who orders: "demo" is the demo citizen)
ORDERS = [
    ("requested", "other"),
    ("requested", "other"),
    ("confirmed", "demo"),
    ("ready", "other"),
    ("out_for_delivery", "other"),
    ("completed", "demo"),
    ("completed", "other"),
    ("declined", "other"),
    ("cancelled", "other"),
]


def seed(*, city, town, rng, out, **_options) -> None:
    if Product.objects.exists():
        return  # loaded once
    owner = Role.objects.filter(kind=RoleKind.MERCHANT_OWNER).select_related("merchant").first()
    citizens = [
        role.user
        for role in Role.objects.filter(kind=RoleKind.CITIZEN)
        .select_related("user")
        .order_by("user_id")
    ]
    if owner is None or not citizens:
        return
    shop, staff = owner.merchant, owner.user
    demo = next((u for u in citizens if u.email == f"citizen@{town.slug}.example"), citizens[0])
    others = [user for user in citizens if user != demo] or [demo]
    services.order_settings_save(
        merchant=shop, actor=staff,
        values={"takes_orders": True, "pickup": True, "slot_minutes": 30, "orders_per_slot": 4,
                "lead_minutes": 30, "days_ahead": 3, "delivery": True,
                "delivery_postcodes": shop.postcode, "delivery_fee_minor": 250,
                "delivery_minimum_minor": 1500},
    )  # fmt: skip
    names = PRODUCTS["bakery" if shop.category == "bakery" else "default"]
    products = []
    for index, (name, price) in enumerate(names):
        product = Product(city=city, merchant=shop, name=name, price_minor=price, position=index)
        products.append(services.product_save(product=product, actor=staff))
    now = timezone.now()
    services.product_availability(
        product=products[-1], available=False, day=city.local_date(now), actor=staff
    )
    slots = selectors.pickup_slots(merchant=shop, now=now)
    for index, (state, who) in enumerate(ORDERS):
        citizen = demo if who == "demo" else others[index % len(others)]
        _order(city, shop, staff, citizen, products, slots, index, state, rng, now)
    # The business has yet to read the question the chat's demo data asked it.
    question = (
        Message.objects.filter(conversation__citizen=demo, conversation__merchant=shop,
                               event__isnull=True, side=Message.Side.CITIZEN)
        .order_by("pk").first()
    )  # fmt: skip
    if question is not None:
        Conversation.objects.filter(pk=question.conversation_id).update(
            merchant_read=question.pk - 1
        )
    out.append((town.name, "order board (owner)", f"/{town.slug}/merchant/{shop.code}/orders/",
                f"{Order.objects.count()} orders at {shop.name}"))  # fmt: skip


def _order(city, shop, staff, citizen, products, slots, index, state, rng, now) -> None:
    quantities = {products[i].code: rng.randint(1, 4) for i in rng.sample(range(5), 2)}
    delivery = index % 3 == 1 or not slots
    fields = {"fulfilment": "delivery" if delivery else "pickup"}
    if delivery:
        fields["address"] = {"name": citizen.get_full_name() or citizen.email.split("@")[0],
                             "street": f"Lindenweg {index + 3}", "postcode": shop.postcode,
                             "locality": city.name}  # fmt: skip
        quantities[products[0].code] = 4  # above the minimum order
    else:
        fields["pickup_at"] = slots[index % len(slots)].start
    note = "Bitte in Papier einpacken." if index % 4 == 0 else ""
    try:
        order, _created = services.order_place(
            citizen=citizen, merchant=shop, quantities=quantities, note=note,
            form_key=f"demo-{index}", **fields,
        )  # fmt: skip
    except OrderRefused:
        return  # e.g. a slot that filled up: the demo shows the others
    if state == "requested":
        return
    if state == "declined":
        services.order_decline(order=order, actor=staff, reason="Heute leider ausverkauft.")
        return
    ready_at = order.pickup_at or now + dt.timedelta(hours=1)
    services.order_confirm(order=order, actor=staff, ready_at=ready_at)
    if state == "cancelled":
        services.order_cancel(order=order, side="citizen", actor=citizen, reason="Doch verhindert.")
        return
    if state == "completed":
        _pay_with_points(city, order, citizen)
    if state == "confirmed":
        return
    services.order_ready(order=order, actor=staff)
    if state in ("ready", "out_for_delivery"):
        return
    services.order_complete(order=order, actor=staff)


def _pay_with_points(city, order, citizen) -> None:
    """The citizen pays what the card's points are worth, up to the order's total."""
    member = loyalty.member_of(city=city, user=citizen)
    if member is None:
        return
    programme = programme_for(city=city)
    points = min(
        loyalty.member_summary(member=member)["balance"],
        (order.total_minor or 0) * programme.points_per_unit_redeemed // 100,
    )
    if points >= programme.min_redeem_points:
        services.order_pay_choose(order=order, citizen=citizen, points=points)
