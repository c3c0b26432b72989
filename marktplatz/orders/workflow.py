"""The one definition of an order's steps: who takes each, from which states, to which.

The services refuse a step that is not allowed here, and the pages offer only the steps
allowed here, so no button is shown that would end in an error."""

from __future__ import annotations

from dataclasses import dataclass

from marktplatz.orders.models import Order

State = Order.State
Side = Order.Side
Fulfilment = Order.Fulfilment
CLOSED_STATES = frozenset({State.DECLINED, State.COMPLETED, State.CANCELLED})
ON_ITS_WAY = frozenset({State.READY, State.OUT_FOR_DELIVERY})


@dataclass(frozen=True)
class Step:
    name: str
    side: str
    sources: frozenset[str]


_STEPS = (
    Step("confirm", Side.MERCHANT, frozenset({State.REQUESTED})),
    Step("decline", Side.MERCHANT, frozenset({State.REQUESTED})),
    # Ready for pickup, or out for delivery: by the order's fulfilment.
    Step("ready", Side.MERCHANT, frozenset({State.CONFIRMED})),
    Step("complete", Side.MERCHANT, ON_ITS_WAY),
    # The customer may cancel until the business has the order ready (or on its way);
    # the business declines a new order and cancels one it has confirmed.
    Step("cancel", Side.CITIZEN, frozenset({State.REQUESTED, State.CONFIRMED})),
    Step("cancel", Side.MERCHANT, frozenset({State.CONFIRMED}) | ON_ITS_WAY),
    # Paying with the city card is chosen once the price is confirmed, until handover.
    Step("pay", Side.CITIZEN, frozenset({State.CONFIRMED}) | ON_ITS_WAY),
)
STEPS: dict[tuple[str, str], Step] = {(step.name, step.side): step for step in _STEPS}


def target(step: str, order: Order) -> str | None:
    """The state ``step`` leads ``order`` to (None: the step keeps the state)."""
    if step == "ready":
        return State.READY if order.fulfilment == Fulfilment.PICKUP else State.OUT_FOR_DELIVERY
    return {
        "confirm": State.CONFIRMED,
        "decline": State.DECLINED,
        "complete": State.COMPLETED,
        "cancel": State.CANCELLED,
    }.get(step)


def allowed(step: str, side: str, state: str) -> bool:
    found = STEPS.get((step, side))
    return found is not None and state in found.sources


def steps_for(order: Order, side: str) -> set[str]:
    """The steps ``side`` may take on ``order`` now."""
    return {
        name for (name, who), step in STEPS.items() if who == side and order.state in step.sources
    }
