"""Who may take points back at a business's till, and until when.

One rule serves both sides: the till pages ask it which forms and buttons to show, and
``services.refund`` asks it again before booking, so a page never offers what the service
would refuse.

- A cashier may cancel a whole purchase, untouched so far, within the programme's cancel
  window (``cancel_window_minutes``); nothing later, nothing partial.
- The owner, a manager, the town's operator and the business's own till terminal (the
  POS API, no person) may refund all or part of a purchase within the refund window
  (``refund_window_days``).
- Anybody else may take nothing back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from marktplatz.accounts.models import OPERATOR_KINDS, RoleKind
from marktplatz.accounts.selectors import roles_for
from marktplatz.loyalty.errors import NotRefundable
from marktplatz.loyalty.models import Booking, BookingKind, Programme

# The till's roles besides the merchant role kinds.
OPERATOR = "operator"
TERMINAL = "terminal"  # the business's own till through the POS API (no person)

CASHIER = RoleKind.MERCHANT_CASHIER.value
MANAGERS = frozenset({RoleKind.MERCHANT_OWNER.value, RoleKind.MERCHANT_MANAGER.value, OPERATOR})
REFUNDERS = frozenset(
    {RoleKind.MERCHANT_OWNER.value, RoleKind.MERCHANT_MANAGER.value, OPERATOR, TERMINAL}
)


def till_role(*, user: Any, merchant: Any) -> str | None:
    """The role in which ``user`` works at ``merchant``'s till.

    A merchant role kind (owner, manager, cashier), ``OPERATOR`` for the town's operator
    staff, ``TERMINAL`` for no user (a till terminal or the system), or None for anybody
    else. Only roles of the merchant's own town count.
    """
    if user is None:
        return TERMINAL
    if not getattr(user, "is_authenticated", False):
        return None
    roles = [r for r in roles_for(user=user) if r.city_id == merchant.city_id]
    for role in roles:
        if role.merchant_id == merchant.pk:
            return role.kind
    if any(role.kind in OPERATOR_KINDS for role in roles):
        return OPERATOR
    return None


def may_manage(*, role: str | None) -> bool:
    """Whether ``role`` may change the business's offer (earning rate, rewards offered)."""
    return role in MANAGERS


def may_refund_partly(*, role: str | None) -> bool:
    """Whether ``role`` may refund part of a purchase (the till's refund form)."""
    return role in REFUNDERS


def refund_refusal(
    *,
    booking: Booking,
    role: str | None,
    programme: Programme,
    now: dt.datetime,
    partial: bool,
    corrected: bool | None = None,
) -> str | None:
    """Why ``role`` may not take back (``partial``: part of) ``booking`` at ``now``, or None.

    ``corrected`` says whether the booking was already refunded in part; it is looked up
    when needed and not given (only a cashier's cancellation depends on it).
    """
    if booking.kind != BookingKind.EARN:
        return _("Only purchases that earned points can be refunded.")
    age = now - booking.created_at
    if role == CASHIER:
        if partial:
            return _("Only the owner or a manager can refund part of a purchase.")
        if age > dt.timedelta(minutes=programme.cancel_window_minutes):
            return _(
                "A cashier can cancel a purchase only within %(minutes)s minutes; "
                "ask the owner or a manager."
            ) % {"minutes": programme.cancel_window_minutes}
        if corrected is None:
            corrected = booking.corrections.exists()
        if corrected:
            return _("Part of this purchase was refunded already; ask the owner or a manager.")
        return None
    if role not in REFUNDERS:
        return _("Only the business's staff can refund a purchase.")
    if age > dt.timedelta(days=programme.refund_window_days):
        return _("Refunds are possible for %(days)s days.") % {"days": programme.refund_window_days}
    return None


def refund_allowed(
    *,
    booking: Booking,
    role: str | None,
    programme: Programme,
    now: dt.datetime,
    partial: bool = False,
    corrected: bool | None = None,
) -> bool:
    """Whether ``role`` may take back ``booking`` (all of it, or part) at ``now``."""
    refusal = refund_refusal(
        booking=booking,
        role=role,
        programme=programme,
        now=now,
        partial=partial,
        corrected=corrected,
    )
    return refusal is None


def refund_check(
    *, booking: Booking, actor: Any, programme: Programme, now: dt.datetime, partial: bool
) -> None:
    """Raise ``NotRefundable`` unless ``actor`` (None: a terminal) may take ``booking`` back."""
    refusal = refund_refusal(
        booking=booking,
        role=till_role(user=actor, merchant=booking.merchant),
        programme=programme,
        now=now,
        partial=partial,
    )
    if refusal is not None:
        raise NotRefundable(refusal)
