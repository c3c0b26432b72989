"""The text of a notification, in the reader's language (call it with the language
active): made from the notification's ``event`` when shown, never stored as text."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from marktplatz.notifications.models import Kind

ORDER_STEPS = {
    "requested": lambda e: _("New order %(order)s") % e,
    "confirm": lambda e: _("%(shop)s confirmed your order %(order)s.") % e,
    "decline": lambda e: _("%(shop)s declined your order %(order)s.") % e,
    "ready": lambda e: _("Your order %(order)s at %(shop)s is ready for pickup.") % e,
    "out_for_delivery": lambda e: _("Your order %(order)s from %(shop)s is on its way.") % e,
    "complete": lambda e: _("Your order %(order)s at %(shop)s is handed over. Thank you!") % e,
    "cancel": lambda e: _("Order %(order)s at %(shop)s is cancelled.") % e,
    "payment": lambda e: _("The customer chose how to pay order %(order)s.") % e,
    "pay_at_counter": lambda e: _("Order %(order)s is paid at the counter.") % e,
}


def title_of(kind: str, event: dict[str, Any]) -> str:
    if kind == Kind.CHAT:
        return _("New message from %(sender)s") % {"sender": event.get("sender", "")}
    if kind == Kind.ORDER:
        step = ORDER_STEPS.get(event.get("step", ""))
        values = {"order": event.get("order", ""), "shop": event.get("shop", "")}
        return step(values) if step else _("Order %(order)s") % values
    if kind == Kind.OFFER:
        return _("New offer of %(shop)s") % {"shop": event.get("shop", "")}
    return ""


def body_of(kind: str, event: dict[str, Any]) -> str:
    """A line more: the start of a message, an offer's title."""
    if kind == Kind.CHAT:
        return event.get("preview", "")
    if kind == Kind.OFFER:
        return event.get("title", "")
    return event.get("reason", "")
