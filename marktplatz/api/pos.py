"""The POS REST API for cash registers: card lookup, earn, redeem, refund, reward hand-out.

Every write needs an ``Idempotency-Key`` header: a retry with the same key and body
returns the first answer (with ``Idempotent-Replayed: true``); the same key with another
body is a 409. Amounts are integers in minor units (cents, Rappen); points are integers.

Every error, including unknown paths, wrong methods and server errors, is JSON
``{"error": code, "message": text}``. Unknown cards, vouchers and reward codes are
counted per business (all its tills together); after too many the business gets
``429 too_many_attempts`` for every code for a while. A used-up voucher answers like an
unknown one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import StrictInt

from marktplatz.api.checkout import checkout_pay
from marktplatz.api.errors import ERRORS, PosApi, register_error_handlers
from marktplatz.api.services import answer_once, terminal_key_check
from marktplatz.core.throttle import merchant_guard
from marktplatz.ledger.models import Account
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.errors import CardNotFound
from marktplatz.loyalty.models import Booking
from marktplatz.loyalty.offers import till_offers
from marktplatz.loyalty.rewards import RewardUnavailable
from marktplatz.loyalty.rewards import reward_fulfil as fulfil
from marktplatz.purses.services import purse_balance
from marktplatz.vouchers import services as vouchers
from marktplatz.vouchers.errors import VoucherNotFound
from marktplatz.vouchers.throttle import used_up_as_unknown

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{8,200}$")


class TerminalAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        if getattr(request, "city", None) is None:
            return None
        return terminal_key_check(city=request.city, token=token)


api = PosApi(
    title="Marktplatz POS API",
    version="1",
    description=__doc__,
    urls_namespace="pos",
    auth=TerminalAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
register_error_handlers(api)


POSITIVE = {"minimum": 1}
CURRENCIES = Literal["EUR", "CHF"]


class CardOut(Schema):
    card: str = Field(description="the card number, all but the last four digits masked")
    status: str
    balance: int = Field(description="points available")
    value: int = Field(description="what the points are worth, in minor units")
    currency: str
    can_redeem: bool
    purse: int = Field(
        description="what the card's purse holds (employer benefits and vouchers loaded "
        "onto the card), in minor units"
    )


class EarnIn(Schema):
    card: str = Field(max_length=64, description="QR token (MPC1-…) or printed card number")
    amount: StrictInt = Field(
        description="purchase amount in minor units (cents); at most the town's limit per "
        "purchase (422 bad_amount)",
        json_schema_extra=POSITIVE,
    )
    currency: CURRENCIES = Field(
        description="the town's currency; the other one is 422 wrong_currency"
    )
    offer: str | None = Field(
        default=None,
        max_length=16,
        description="the code of the live offer of this business the purchase used (GET "
        "offers): its bonus points are added; 409 offer_unavailable if it is not live here",
    )


class OfferOut(Schema):
    code: str
    title: str
    bonus_points: int = Field(description="extra points a purchase with the offer earns")
    ends_on: dt.date | None = Field(description="the last day of the offer (town time)")


class RedeemIn(Schema):
    card: str = Field(max_length=64)
    points: StrictInt = Field(json_schema_extra=POSITIVE)


class RefundIn(Schema):
    amount: StrictInt | None = Field(
        default=None,
        description="refunded amount in minor units; the whole purchase if left out",
        json_schema_extra=POSITIVE,
    )


class BookingOut(Schema):
    id: str
    kind: str
    points: int
    amount: int = Field(description="purchase (or refunded) amount in minor units")
    value: int = Field(description="for redemptions: the discount in minor units")
    currency: str
    card: str
    merchant: str
    balance: int = Field(description="points available on the card afterwards")
    shortfall: int = Field(description="refund only: points already spent and now owed")
    original: str | None
    offer: str | None = Field(description="earn only: the code of the offer the purchase used")
    created_at: dt.datetime


def _masked(number: str) -> str:
    return "•••• •••• •••• " + number[-4:]


def _booking_out(booking: Booking, city) -> dict:
    balance = getattr(booking, "balance_after", None)
    if balance is None:
        balance = Account.objects.get(pk=booking.member.account_id).available
    return {
        "id": booking.code,
        "kind": booking.kind,
        "points": booking.points,
        "amount": booking.purchase_minor,
        "value": loyalty.redemption_value_minor(city=city, points=booking.points)
        if booking.kind == "redeem"
        else 0,
        "currency": city.currency,
        "card": _masked(booking.card.number) if booking.card else "",
        "merchant": booking.merchant.code if booking.merchant else "",
        "balance": balance,
        "shortfall": booking.shortfall,
        "original": booking.original.code if booking.original_id else None,
        "offer": booking.offer_code or None,
        "created_at": booking.created_at,
    }


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise HttpError(
            400, _("Send an Idempotency-Key header of 8 to 200 visible ASCII characters.")
        )
    scoped = f"terminal:{request.auth.pk}:{key}"
    # The ledger keeps keys of up to 200 characters, and a checkout adds a suffix per
    # part: a long key is kept as its hash (the same key, the same hash).
    if len(scoped) > 120:
        scoped = f"terminal:{request.auth.pk}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"
    return scoped


def _answer(request, response: HttpResponse, booking: Booking, created: bool):
    if not created:
        response["Idempotent-Replayed"] = "true"
    return 201, _booking_out(booking, request.city)


@contextmanager
def _codes(request) -> Iterator[None]:
    """A request that names a card, voucher or reward code: counted against guessing.

    Unknown codes count per merchant (every key and the till pages together); a used-up
    voucher answers, and counts, like an unknown one.
    """
    with merchant_guard(
        merchant_id=request.auth.merchant_id,
        misses=(CardNotFound, VoucherNotFound, RewardUnavailable),
        label=request.auth.label,
    ):
        yield


# Writes take an Idempotency-Key header (read in _idempotency_key); say so in the schema.
IDEMPOTENT = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": "A new key per booking (e.g. a UUID); a retry sends the same key.",
            "schema": {"type": "string", "minLength": 8, "maxLength": 200, "pattern": "^[!-~]+$"},
        }
    ]
}


@api.get("/cards/{identifier}", response={200: CardOut, **ERRORS}, summary="Look up a card")
def card_get(request, identifier: str):
    with _codes(request):
        card = loyalty.card_lookup(city=request.city, identifier=identifier)
    account = Account.objects.get(pk=card.member.account_id)
    programme = loyalty.programme_for(city=request.city)
    debt = -Account.objects.get(pk=card.member.debt_account_id).balance
    return {
        "card": _masked(card.number),
        "status": card.status,
        "balance": account.available,
        "value": loyalty.redemption_value_minor(city=request.city, points=account.available),
        "currency": request.city.currency,
        "can_redeem": debt == 0 and account.available >= programme.min_redeem_points,
        "purse": purse_balance(card=card),
    }


@api.post(
    "/earn",
    response={201: BookingOut, **ERRORS},
    summary="Book a purchase",
    openapi_extra=IDEMPOTENT,
)
def earn(request, payload: EarnIn, response: HttpResponse):
    key = _idempotency_key(request)
    with _codes(request):
        booking, created = loyalty.earn(
            city=request.city,
            merchant=request.auth.merchant,
            card=payload.card,
            purchase_minor=payload.amount,
            currency=payload.currency,
            idempotency_key=key,
            actor_label=request.auth.label,
            offer_code=payload.offer or "",
        )
    return _answer(request, response, booking, created)


@api.get(
    "/offers",
    response={200: list[OfferOut], **ERRORS},
    summary="The business's live offers",
)
def offers(request):
    today = request.city.local_date(timezone.now())
    return [
        {"code": o.code, "title": o.title, "bonus_points": o.bonus_points, "ends_on": o.ends_on}
        for o in till_offers(merchant=request.auth.merchant, today=today)
    ]


@api.post(
    "/redeem",
    response={201: BookingOut, **ERRORS},
    summary="Pay with points",
    openapi_extra=IDEMPOTENT,
)
def redeem(request, payload: RedeemIn, response: HttpResponse):
    key = _idempotency_key(request)
    with _codes(request):
        card = loyalty.card_lookup(city=request.city, identifier=payload.card)
    booking, created = loyalty.redeem(
        city=request.city,
        merchant=request.auth.merchant,
        card=card,
        points=payload.points,
        idempotency_key=key,
        actor_label=request.auth.label,
    )
    return _answer(request, response, booking, created)


def _own_booking(request, code: str) -> Booking:
    booking = (
        Booking.objects.filter(code=code, merchant=request.auth.merchant)
        .select_related("member", "card", "merchant", "original", "city")
        .first()
    )
    if booking is None:
        raise HttpError(404, _("No booking with this id at this business."))
    return booking


@api.get("/bookings/{code}", response={200: BookingOut, **ERRORS}, summary="Read a booking")
def booking_get(request, code: str):
    return 200, _booking_out(_own_booking(request, code), request.city)


@api.post(
    "/bookings/{code}/refund",
    response={201: BookingOut, **ERRORS},
    summary="Refund a purchase",
    openapi_extra=IDEMPOTENT,
)
def booking_refund(request, code: str, payload: RefundIn, response: HttpResponse):
    key = _idempotency_key(request)
    booking, created = loyalty.refund(
        booking=_own_booking(request, code),
        purchase_minor=payload.amount,
        idempotency_key=key,
        actor_label=request.auth.label,
    )
    return _answer(request, response, booking, created)


class FulfilIn(Schema):
    code: str = Field(max_length=40, description="the reward's QR code content (MPR1-…)")


class FulfilOut(Schema):
    reward: str
    points: int
    status: str
    fulfilled_at: dt.datetime


@api.post(
    "/rewards/fulfil",
    response={200: FulfilOut, **ERRORS},
    summary="Hand out a reward a card holder got for points",
    description="Only the merchant that offers the reward can hand it out, and only once; "
    "a second hand-out answers 409 reward_unavailable. A retry with the same "
    "Idempotency-Key replays the first answer.",
    openapi_extra=IDEMPOTENT,
)
def reward_fulfil(request, payload: FulfilIn, response: HttpResponse):
    key = _idempotency_key(request)

    def hand_out() -> tuple[int, dict]:
        with _codes(request):
            claim = fulfil(
                token=payload.code,
                merchant=request.auth.merchant,
                actor=None,
                actor_label=f"{request.auth.label} ({request.auth.name})",
            )
        return 200, {
            "reward": claim.reward.title,
            "points": claim.reward.points,
            "status": claim.status,
            "fulfilled_at": claim.fulfilled_at.isoformat(),
        }

    status, body, created = answer_once(
        terminal=request.auth,
        key=key,
        request={"op": "reward.fulfil", "code": payload.code.strip().upper()},
        produce=hand_out,
    )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return status, body


# --- City vouchers ----------------------------------------------------------------------


class VoucherOut(Schema):
    balance: int = Field(description="what is left, in minor units (more than 0)")
    currency: str
    valid_until: dt.datetime


class VoucherRedeemIn(Schema):
    code: str = Field(max_length=64, description="the voucher code (MPV1-…), as printed or scanned")
    amount: StrictInt = Field(
        description="the amount paid with the voucher, in minor units", json_schema_extra=POSITIVE
    )


class VoucherRedemptionOut(Schema):
    id: str
    amount: int
    balance: int = Field(description="what is left on the voucher afterwards")
    currency: str
    created_at: dt.datetime


@api.post(
    "/vouchers/redeem",
    response={201: VoucherRedemptionOut, **ERRORS},
    summary="Pay with a city voucher",
    description="Any part of the balance; an amount above it is refused (409 "
    "voucher_insufficient) with the balance in the message. A used-up voucher answers "
    "404 voucher_not_found, like an unknown code.",
    openapi_extra=IDEMPOTENT,
)
def voucher_redeem(request, payload: VoucherRedeemIn, response: HttpResponse):
    key = _idempotency_key(request)
    with _codes(request), used_up_as_unknown():
        redemption, created = vouchers.voucher_redeem(
            city=request.city,
            merchant=request.auth.merchant,
            code=payload.code,
            amount_minor=payload.amount,
            idempotency_key=key,
            actor_label=request.auth.label,
        )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return 201, {
        "id": redemption.code,
        "amount": redemption.amount_minor,
        "balance": vouchers.balance_of(redemption.voucher),
        "currency": request.city.currency,
        "created_at": redemption.created_at,
    }


NOT_NEGATIVE = {"minimum": 0}


class CheckoutIn(Schema):
    card: str | None = Field(default=None, max_length=64, description="card paying with points")
    points: StrictInt = Field(
        default=0, description="points to pay with", json_schema_extra=NOT_NEGATIVE
    )
    voucher: str | None = Field(default=None, max_length=64, description="voucher code")
    voucher_amount: StrictInt = Field(
        default=0, description="minor units paid by the voucher", json_schema_extra=NOT_NEGATIVE
    )
    purse_amount: StrictInt = Field(
        default=0,
        description="minor units paid from the purse of ``card``",
        json_schema_extra=NOT_NEGATIVE,
    )

    model_config = {
        # At least one part: points or the purse of a card, or a voucher (422 bad_amount).
        "json_schema_extra": {
            "anyOf": [
                {
                    "required": ["card", "points"],
                    "properties": {"card": {"type": "string"}, "points": {"minimum": 1}},
                },
                {
                    "required": ["card", "purse_amount"],
                    "properties": {"card": {"type": "string"}, "purse_amount": {"minimum": 1}},
                },
                {
                    "required": ["voucher", "voucher_amount"],
                    "properties": {
                        "voucher": {"type": "string"},
                        "voucher_amount": {"minimum": 1},
                    },
                },
            ]
        }
    }


class CheckoutOut(Schema):
    points_booking: str | None
    points_value: int = Field(description="what the points paid, in minor units")
    voucher_payment: str | None
    voucher_amount: int
    voucher_balance: int | None = Field(description="what is left on the voucher")
    purse_amount: int = Field(default=0, description="what the card's purse paid")
    purse_balance: int | None = Field(default=None, description="what is left in the purse")
    currency: str


@api.post(
    "/checkout",
    response={201: CheckoutOut, **ERRORS},
    summary="Pay with points, the card's purse and a voucher together",
    description="All parts are booked together or not at all (e.g. a voucher without "
    "enough balance leaves the points and the purse untouched). At least one part is "
    "needed.",
    openapi_extra=IDEMPOTENT,
)
def checkout(request, payload: CheckoutIn, response: HttpResponse):
    key = _idempotency_key(request)
    with _codes(request):
        paid = checkout_pay(
            city=request.city,
            merchant=request.auth.merchant,
            idempotency_key=key,
            card=payload.card,
            points=payload.points,
            voucher_code=payload.voucher,
            voucher_amount=payload.voucher_amount,
            purse_amount=payload.purse_amount,
            actor_label=request.auth.label,
        )
    if not paid.created:
        response["Idempotent-Replayed"] = "true"
    booking, payment = paid.points, paid.voucher
    return 201, {
        "points_booking": booking.code if booking else None,
        "points_value": loyalty.redemption_value_minor(city=request.city, points=booking.points)
        if booking
        else 0,
        "voucher_payment": payment.code if payment else None,
        "voucher_amount": payment.amount_minor if payment else 0,
        "voucher_balance": vouchers.balance_of(payment.voucher) if payment else None,
        "purse_amount": paid.purse.amount_minor if paid.purse else 0,
        "purse_balance": paid.purse.balance_after if paid.purse else None,
        "currency": request.city.currency,
    }


# After /vouchers/redeem: a path of its own must not be taken for a code.
@api.get("/vouchers/{code}", response={200: VoucherOut, **ERRORS}, summary="Look up a voucher")
def voucher_get(request, code: str):
    with _codes(request):
        voucher = vouchers.voucher_lookup(city=request.city, code=code)
        balance = vouchers.balance_of(voucher)
        if balance <= 0:
            # Used up (spent, or its rest taken at expiry): nothing to learn from it.
            raise VoucherNotFound()
    return {
        "balance": balance,
        "currency": request.city.currency,
        "valid_until": voucher.expires_at,
    }
