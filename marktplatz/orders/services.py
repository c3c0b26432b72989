"""Writes of click & collect and delivery: a business's products and order settings, and
each step of an order. Every step runs under the order's row lock, is allowed only as
``orders.workflow`` says, posts a notice into the conversation of the citizen and the
business, and is audit-logged in the same transaction; a step repeated (a button pressed
twice, a request retried) changes nothing and answers like the first.

Paying with the city card: the citizen chooses points, the card's purse and a voucher
once the price is confirmed (checked against the balances then); the card's checkout
(``api.checkout.checkout_pay``, all parts or none, idempotent by the order's code) books
them when the business hands the order over, in the same transaction as the step. So a
cancelled order never has anything to pay back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.accounts.selectors import merchant_staff_ids
from marktplatz.api.checkout import checkout_pay
from marktplatz.audit.services import audit_record
from marktplatz.chat.services import conversation_open, notice_post
from marktplatz.core.geo import distance_m
from marktplatz.core.once import row_once
from marktplatz.core.templatetags.marktplatz import money
from marktplatz.core.throttle import count_attempt, over_limit
from marktplatz.ledger.errors import LedgerError
from marktplatz.loyalty import selectors as loyalty_selectors
from marktplatz.loyalty.services import programme_for
from marktplatz.notifications.models import Kind
from marktplatz.notifications.paths import town_path
from marktplatz.notifications.services import notify
from marktplatz.orders import workflow
from marktplatz.orders.models import (
    MAX_LINES,
    MAX_QUANTITY,
    Order,
    OrderLine,
    OrderSettings,
    Product,
)
from marktplatz.orders.selectors import card_of, card_value_minor, pickup_slots, settings_of
from marktplatz.purses.services import purse_balance
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.throttle import used_up_as_unknown

State = Order.State
Side = Order.Side
Fulfilment = Order.Fulfilment


class OrderRefused(Exception):
    """Why an order or a step is refused, in the person's language (nothing stored)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the business's products and settings ------------------------------------------------


def order_settings_save(*, merchant: Any, values: dict[str, Any], actor: Any) -> OrderSettings:
    row = row_once(OrderSettings, city=merchant.city, merchant=merchant)[0]
    with transaction.atomic():
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        audit_record(
            city=merchant.city, actor=actor, action="order_settings.saved", obj=merchant,
            data={name: str(value) for name, value in values.items()},
        )  # fmt: skip
    return row


def product_save(*, product: Product, actor: Any) -> Product:
    created = product.pk is None
    duplicate = Product.objects.filter(merchant=product.merchant, name=product.name)
    if not created:
        duplicate = duplicate.exclude(pk=product.pk)
    if duplicate.exists():
        raise OrderRefused(_("There is a product with this name already."))
    with transaction.atomic():
        product.save()
        audit_record(
            city=product.city,
            actor=actor,
            action="product.created" if created else "product.changed",
            obj=product,
            data={"price": product.price_minor, "listed": product.is_listed},
        )
    return product


def product_availability(*, product: Product, available: bool, day: dt.date, actor: Any) -> bool:
    """Sold out for ``day`` (available again the next day), or available again; whether it
    changed."""
    unavailable_on = None if available else day
    with transaction.atomic():
        changed = (
            Product.objects.filter(pk=product.pk)
            .exclude(unavailable_on=unavailable_on)
            .update(unavailable_on=unavailable_on)
        )
        if changed:
            product.unavailable_on = unavailable_on
            audit_record(
                city=product.city,
                actor=actor,
                action="product.available" if available else "product.sold_out",
                obj=product,
                data={"day": day.isoformat()},
            )
    return bool(changed)


# -- placing an order --------------------------------------------------------------------


def _text(value: str, limit: int) -> str:
    return (value or "").replace("\x00", "").strip()[:limit]


def delivery_refusal(
    *, rules: OrderSettings, postcode: str, latitude: Decimal | None, longitude: Decimal | None
) -> str | None:
    """Why the business does not deliver to the address (None: it does). Inside the area
    means a listed postcode, or a location within the radius around the business."""
    if postcode.strip() in rules.postcodes():
        return None
    merchant = rules.merchant
    radius = rules.delivery_radius_m
    located = merchant.latitude is not None and merchant.longitude is not None
    if radius and located:
        if latitude is None or longitude is None:
            return _(
                "Share your location or enter it, so that the shop can check that it "
                "delivers to you."
            )
        away = distance_m(merchant.latitude, merchant.longitude, latitude, longitude)
        if away <= radius:
            return None
    return _("%(shop)s does not deliver to this address.") % {"shop": merchant.name}


def _check_slot(merchant: Any, pickup_at: dt.datetime | None, now: dt.datetime) -> None:
    if pickup_at is None:
        raise OrderRefused(_("Choose a pickup time."))
    slots = {slot.start: slot for slot in pickup_slots(merchant=merchant, now=now, with_full=True)}
    slot = slots.get(pickup_at)
    if slot is None:
        raise OrderRefused(_("This pickup time is not one of the shop's pickup times."))
    if slot.free is not None and slot.free <= 0:
        raise OrderRefused(_("This pickup time is fully booked. Please choose another one."))


def order_place(
    *,
    citizen: Any,
    merchant: Any,
    fulfilment: str,
    quantities: dict[str, int],
    note: str = "",
    pickup_at: dt.datetime | None = None,
    address: dict[str, Any] | None = None,
    form_key: str = "",
    now: dt.datetime | None = None,
) -> tuple[Order, bool]:
    """Place an order of ``citizen`` at ``merchant``: products by code and quantity, or
    a free text (``note``), or both; whether this call placed it (the same form key
    places one order).

    Refused (OrderRefused, nothing stored): a business that takes no orders, a fulfilment
    it does not offer, unknown or unavailable products, quantities outside 1…99, an empty
    order, a pickup time outside its slots or fully booked, an address outside its
    delivery area or below its minimum order, a customer it has blocked, more than
    ``ORDERS_PER_HOUR`` orders an hour."""
    now = now or timezone.now()
    form_key = (form_key or "")[:64]
    if form_key:
        earlier = Order.objects.filter(citizen=citizen, form_key=form_key).first()
        if earlier is not None:
            return earlier, False
    rules = settings_of(merchant=merchant)
    if not (merchant.is_public and rules.pk and rules.takes_orders):
        raise OrderRefused(_("This shop does not take orders in the app."))
    if fulfilment == Fulfilment.PICKUP and not rules.pickup:
        raise OrderRefused(_("This shop does not offer pickup."))
    if fulfilment == Fulfilment.DELIVERY and not rules.delivery:
        raise OrderRefused(_("This shop does not deliver."))
    if fulfilment not in Fulfilment.values:
        raise OrderRefused(_("Choose pickup or delivery."))
    note = _text(note, 1000)
    wanted = {code: qty for code, qty in quantities.items() if qty}
    if len(wanted) > MAX_LINES:
        raise OrderRefused(_("An order can have at most %(n)s products.") % {"n": MAX_LINES})
    for qty in wanted.values():
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QUANTITY:
            raise OrderRefused(_("Order between 1 and %(n)s of a product.") % {"n": MAX_QUANTITY})
    products = {p.code: p for p in Product.objects.filter(merchant=merchant, code__in=wanted)}
    if len(products) != len(wanted):
        raise OrderRefused(_("One of the products is not sold by this shop."))
    today = merchant.city.local_date(now)
    for product in products.values():
        if not product.available_on(today):
            raise OrderRefused(_("%(product)s is not available today.") % {"product": product.name})
    if not wanted and not note:
        raise OrderRefused(_("Choose products or describe what you would like to order."))
    subtotal = sum(products[code].price_minor * qty for code, qty in wanted.items())
    fields: dict[str, Any] = {}
    fee = 0
    if fulfilment == Fulfilment.DELIVERY:
        address = address or {}
        fields = {
            "delivery_name": _text(address.get("name", ""), 120),
            "delivery_street": _text(address.get("street", ""), 120),
            "delivery_postcode": _text(address.get("postcode", ""), 10),
            "delivery_locality": _text(address.get("locality", ""), 80),
            "delivery_phone": _text(address.get("phone", ""), 40),
            "delivery_latitude": address.get("latitude"),
            "delivery_longitude": address.get("longitude"),
        }
        if not (
            fields["delivery_name"] and fields["delivery_street"] and fields["delivery_postcode"]
        ):
            raise OrderRefused(_("Enter the name, street and postcode to deliver to."))
        refusal = delivery_refusal(
            rules=rules,
            postcode=fields["delivery_postcode"],
            latitude=fields["delivery_latitude"],
            longitude=fields["delivery_longitude"],
        )
        if refusal:
            raise OrderRefused(refusal)
        if wanted and subtotal < rules.delivery_minimum_minor:
            raise OrderRefused(
                _("The minimum order for delivery is %(minimum)s.")
                % {"minimum": money(rules.delivery_minimum_minor, merchant.city)}
            )
        fee = rules.delivery_fee_minor
    else:
        fields = {"pickup_at": pickup_at}
    scope = f"orders:user:{citizen.pk}"
    if over_limit(scope, settings.ORDERS_PER_HOUR):
        raise OrderRefused(_("You have placed many orders in a short time. Please wait a while."))
    try:
        with transaction.atomic():
            # Orders of one business queue here: the last place of a slot goes once. (A
            # refusal from here on rolls back the conversation made for the order too.)
            OrderSettings.objects.select_for_update().get(pk=rules.pk)
            if fulfilment == Fulfilment.PICKUP:
                _check_slot(merchant, pickup_at, now)
            conversation = conversation_open(citizen=citizen, merchant=merchant)
            if conversation.blocked_at is not None:
                raise OrderRefused(_("This business does not take orders from you."))
            order = Order.objects.create(
                city=merchant.city,
                merchant=merchant,
                citizen=citizen,
                conversation=conversation,
                fulfilment=fulfilment,
                note=note,
                subtotal_minor=subtotal,
                delivery_fee_minor=fee,
                # A free text is priced by the business when it confirms.
                total_minor=subtotal + fee if wanted else None,
                form_key=form_key,
                **fields,
            )
            OrderLine.objects.bulk_create(
                [
                    OrderLine(order=order, product=products[code], name=products[code].name,
                              unit_price_minor=products[code].price_minor, quantity=qty)
                    for code, qty in wanted.items()
                ]
            )  # fmt: skip
            _notice(order, "requested", side=Side.CITIZEN, actor=citizen)
            audit_record(
                city=merchant.city, actor=citizen, action="order.placed", obj=order,
                data={"fulfilment": fulfilment, "total": order.total_minor},
            )  # fmt: skip
    except IntegrityError:
        # The same form, sent twice at once: the other request placed it.
        return Order.objects.get(citizen=citizen, form_key=form_key), False
    count_attempt(scope, 3600)
    return order, True


# -- the steps ---------------------------------------------------------------------------


def _notice(order: Order, step: str, *, side: str, actor: Any, **extra: Any) -> None:
    """The step in the conversation, and a notification for the other side."""
    event = {"kind": "order", "order": order.code, "step": step, **extra}
    notice_post(conversation=order.conversation, side=side, sender=actor, event=event)
    people = (
        merchant_staff_ids(merchant=order.merchant) if side == Side.CITIZEN else [order.citizen_id]
    )
    notify(
        city=order.city,
        user_ids=people,
        kind=Kind.ORDER,
        event={"order": order.code, "step": step, "shop": order.merchant.name,
               "reason": extra.get("reason", "")},
        url=town_path("order_detail", order.code),
    )  # fmt: skip


def _locked(order: Order) -> Order:
    """The order's row, locked; only its own row (``of``): a lock on the joined business
    would queue every insert that refers to the business, and deadlocked against them."""
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("merchant", "conversation")
        .get(pk=order.pk)
    )


def _refuse_step(order: Order) -> OrderRefused:
    return OrderRefused(
        _("This order is “%(state)s”: that is not possible now.")
        % {"state": order.get_state_display()}
    )


def _step(
    order: Order,
    step: str,
    *,
    side: str,
    actor: Any,
    changes: dict[str, Any] | None = None,
    notice: dict[str, Any] | None = None,
    before: Any = None,
) -> bool:
    """Take ``step`` on ``order`` (to the state the workflow names), with ``changes``;
    whether this call took it. Already in that state: nothing changes (a repeat)."""
    goal = workflow.target(step, order)
    with transaction.atomic():
        locked = _locked(order)
        if locked.state == goal and (step != "cancel" or locked.cancelled_by == side):
            _refresh(order, locked)
            return False
        if not workflow.allowed(step, side, locked.state):
            raise _refuse_step(locked)
        if before is not None:
            before(locked)
        now = timezone.now()
        locked.state = goal
        for name, value in (changes or {}).items():
            setattr(locked, name, value)
        if goal == State.CONFIRMED:
            locked.confirmed_at = now
        if goal in workflow.CLOSED_STATES:
            locked.closed_at = now
        locked.save()
        _notice(locked, step if step != "ready" else goal, side=side, actor=actor, **(notice or {}))
        audit_record(
            city=locked.city, actor=actor, action=f"order.{goal}", obj=locked,
            data={key: str(value) for key, value in (changes or {}).items()},
        )  # fmt: skip
    _refresh(order, locked)
    return True


def _refresh(order: Order, locked: Order) -> None:
    for field in Order._meta.concrete_fields:
        setattr(order, field.attname, getattr(locked, field.attname))


def order_confirm(
    *, order: Order, actor: Any, ready_at: dt.datetime | None, total_minor: int | None = None
) -> bool:
    """The business confirms: when it will be ready (or delivered), and the price of an
    order written as free text (or a price it changed)."""
    ready_at = ready_at or order.pickup_at
    if ready_at is None:
        raise OrderRefused(_("Say when the order will be ready."))
    total = order.total_minor if total_minor is None else total_minor
    if total is None:
        raise OrderRefused(_("Enter the price of this order."))
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise OrderRefused(_("The price must not be negative."))
    return _step(
        order, "confirm", side=Side.MERCHANT, actor=actor,
        changes={"ready_at": ready_at, "total_minor": total},
        notice={"at": ready_at.isoformat(), "total": total},
    )  # fmt: skip


def order_decline(*, order: Order, actor: Any, reason: str) -> bool:
    reason = _text(reason, 300)
    if not reason:
        raise OrderRefused(_("Tell the customer why you decline the order."))
    return _step(
        order, "decline", side=Side.MERCHANT, actor=actor,
        changes={"reason": reason}, notice={"reason": reason},
    )  # fmt: skip


def order_ready(*, order: Order, actor: Any) -> bool:
    """Ready for pickup, or out for delivery."""
    return _step(order, "ready", side=Side.MERCHANT, actor=actor)


def order_cancel(*, order: Order, side: str, actor: Any, reason: str = "") -> bool:
    """Cancelled by the customer (until the order is ready) or by the business (a
    confirmed order, with a reason)."""
    reason = _text(reason, 300)
    if side == Side.MERCHANT and not reason:
        raise OrderRefused(_("Tell the customer why you cancel the order."))
    return _step(
        order, "cancel", side=side, actor=actor,
        changes={"reason": reason, "cancelled_by": side}, notice={"reason": reason, "by": side},
    )  # fmt: skip


def order_complete(*, order: Order, actor: Any) -> bool:
    """Handed over (picked up or delivered). What the citizen chose to pay with the city
    card is booked now, by the card's checkout in the same transaction: refused (the order
    stays as it is) when the card cannot pay it any more."""

    def pay(locked: Order) -> None:
        if not locked.pays_by_card:
            return
        card = card_of(order=locked)
        try:
            if card is None:
                raise OrderRefused(_("The customer has no active city card."))
            paid = checkout_pay(
                city=locked.city,
                merchant=locked.merchant,
                idempotency_key=f"order:{locked.code}",
                card=card.number,
                points=locked.pay_points,
                purse_amount=locked.pay_purse_minor,
                voucher_code=locked.pay_voucher_code or None,
                voucher_amount=locked.pay_voucher_minor,
                actor_label=_("Order %(code)s") % {"code": locked.code},
            )
        except LedgerError as error:
            raise OrderRefused(
                _("The city card could not pay: %(reason)s Take the payment at the counter.")
                % {"reason": error.message}
            ) from None
        locked.paid_points = paid.points.points if paid.points else 0
        locked.paid_card_minor = card_value_minor(
            city=locked.city, points=locked.paid_points,
            purse_minor=paid.purse.amount_minor if paid.purse else 0,
            voucher_minor=paid.voucher.amount_minor if paid.voucher else 0,
        )  # fmt: skip

    return _step(order, "complete", side=Side.MERCHANT, actor=actor, before=pay)


def order_pay_clear(*, order: Order, actor: Any) -> bool:
    """The business takes the whole payment at the counter instead (the card could not
    pay it): the citizen's card choice is dropped; whether there was one."""
    with transaction.atomic():
        locked = _locked(order)
        if not workflow.allowed("complete", Side.MERCHANT, locked.state):
            raise _refuse_step(locked)
        if not locked.pays_by_card:
            return False
        locked.pay_points = locked.pay_purse_minor = locked.pay_voucher_minor = 0
        locked.pay_voucher_code = ""
        locked.save(
            update_fields=["pay_points", "pay_purse_minor", "pay_voucher_minor", "pay_voucher_code"]
        )
        _notice(locked, "pay_at_counter", side=Side.MERCHANT, actor=actor)
        audit_record(city=locked.city, actor=actor, action="order.pay_at_counter", obj=locked)
    _refresh(order, locked)
    return True


def order_pay_choose(
    *,
    order: Order,
    citizen: Any,
    points: int = 0,
    purse_minor: int = 0,
    voucher_code: str = "",
    voucher_minor: int = 0,
) -> bool:
    """The citizen chooses what the city card pays on handover (all zero: everything at
    the counter). Checked now against the card's points, its purse and the voucher; the
    parts together may not be worth more than the order. Whether it changed."""
    voucher_code = _text(voucher_code, 40).replace(" ", "").replace("-", "").upper()
    for value in (points, purse_minor, voucher_minor):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise OrderRefused(_("The amounts must not be negative."))
    if bool(voucher_code) != bool(voucher_minor):
        raise OrderRefused(_("Enter the voucher's code and the amount to pay with it."))
    if not workflow.allowed("pay", Side.CITIZEN, order.state):
        raise _refuse_step(order)
    city, merchant = order.city, order.merchant
    if (purse_minor or voucher_minor) and not merchant.takes_payments:
        raise OrderRefused(_("This shop does not take the card's purse or vouchers."))
    card = card_of(order=order) if (points or purse_minor) else None
    if (points or purse_minor) and card is None:
        raise OrderRefused(_("Join the city card to pay with points or the card's purse."))
    if points:
        programme = programme_for(city=city)
        if points < programme.min_redeem_points:
            raise OrderRefused(
                _("At least %(min)s points are needed to redeem.")
                % {"min": programme.min_redeem_points}
            )
        available = loyalty_selectors.member_summary(member=card.member)["balance"]
        if points > available:
            raise OrderRefused(
                _("Not enough points: %(available)s available.") % {"available": available}
            )
    if purse_minor and purse_minor > (in_purse := purse_balance(card=card)):
        raise OrderRefused(
            _("The card's purse only has %(balance)s.") % {"balance": money(in_purse, city)}
        )
    if voucher_code:
        scope = f"order-voucher:{citizen.pk}"
        if over_limit(scope, 10):
            raise OrderRefused(_("Too many attempts. Please try again in a few minutes."))
        count_attempt(scope, 900)
        try:
            with used_up_as_unknown():
                voucher = vouchers.voucher_lookup(city=city, code=voucher_code)
        except LedgerError:
            voucher = None
        left = vouchers.balance_of(voucher) if voucher is not None else 0
        if voucher is None or voucher.card_id or left <= 0:
            raise OrderRefused(_("No voucher with a balance under this code."))
        if voucher_minor > left:
            raise OrderRefused(
                _("The voucher only has %(balance)s.") % {"balance": money(left, city)}
            )
    wanted = {"pay_points": points, "pay_purse_minor": purse_minor,
              "pay_voucher_code": voucher_code, "pay_voucher_minor": voucher_minor}  # fmt: skip
    value = card_value_minor(city=city, points=points, purse_minor=purse_minor,
                             voucher_minor=voucher_minor)  # fmt: skip
    due = order.total_minor or 0
    if value > due:
        raise OrderRefused(
            _("That is more than the order's total of %(total)s.") % {"total": money(due, city)}
        )
    with transaction.atomic():
        locked = _locked(order)
        if not workflow.allowed("pay", Side.CITIZEN, locked.state):
            raise _refuse_step(locked)
        if all(getattr(locked, name) == chosen for name, chosen in wanted.items()):
            _refresh(order, locked)
            return False
        for name, new in wanted.items():
            setattr(locked, name, new)
        locked.save(update_fields=list(wanted))
        _notice(locked, "payment", side=Side.CITIZEN, actor=citizen, points=points,
                card=value)  # fmt: skip
        audit_record(
            city=city, actor=citizen, action="order.payment_chosen", obj=locked,
            data={"points": points, "purse": purse_minor, "voucher": voucher_minor},
        )  # fmt: skip
    _refresh(order, locked)
    return True
