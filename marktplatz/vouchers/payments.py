"""Online voucher sale through payment providers.

A provider takes an order and tells the buyer how to pay; once the money is confirmed,
``order_paid`` issues the vouchers and sends them. The one provider built in works
without any outside service: an invoice to be paid by bank transfer, with an EPC QR code
(GiroCode) or a Swiss QR-bill. Its payments are confirmed by the operator or by
importing the bank's camt.053 statement. A card provider would add a class with the
same three methods and a webhook that calls ``order_paid``; ``settings.
VOUCHER_PAYMENT_PROVIDERS`` lists the classes a site offers.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marktplatz.audit.services import audit_record
from marktplatz.core.invoices import (
    Invoice,
    InvoiceLine,
    Party,
    credit_outcome,
    epc_qr_svg,
    invoice_pdf,
    payment_reference,
)
from marktplatz.core.mail import send_mail_on_commit
from marktplatz.vouchers.errors import VoucherBadValue
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct
from marktplatz.vouchers.services import check_value, voucher_sell

MAX_QUANTITY = 20
PAYMENT_DAYS = 14


class PaymentProvider(ABC):
    """What a payment provider offers: its name, whether a town can use it, how an order
    starts (``start``) and what the buyer is shown (``instructions``)."""

    key = ""
    label = ""

    @abstractmethod
    def available(self, city: Any) -> bool:
        """Whether ``city`` can offer this provider (e.g. has the accounts it needs)."""

    @abstractmethod
    def start(self, order: VoucherOrder, *, order_url: str) -> None:
        """Begin the payment of a new order (send the invoice, create a checkout...)."""

    @abstractmethod
    def instructions(self, order: VoucherOrder) -> str:
        """HTML telling the buyer how to pay a pending order."""


class BankTransfer(PaymentProvider):
    """Invoice and prepayment by bank transfer to the town's account."""

    key = "transfer"
    label = gettext_lazy("Invoice (bank transfer)")

    def available(self, city: Any) -> bool:
        return bool(city.bank_iban and city.bank_account_holder)

    def start(self, order: VoucherOrder, *, order_url: str) -> None:
        city = order.city
        send_mail_on_commit(
            subject=_("Your voucher order %(number)s for %(town)s")
            % {"number": order_invoice_number(order), "town": city.name},
            body=render_to_string(
                "vouchers/email/order.txt", {"order": order, "city": city, "url": order_url}
            ),
            to=[order.buyer_email],
            attachments=[
                (
                    f"invoice-{order_invoice_number(order)}.pdf",
                    order_invoice_pdf(order),
                    "application/pdf",
                )
            ],
        )

    def instructions(self, order: VoucherOrder) -> str:
        qr = epc_qr_svg(order_invoice(order)) if order.city.currency == "EUR" else ""
        return render_to_string(
            "vouchers/payment_transfer.html",
            {"order": order, "qr": mark_safe(qr)},  # noqa: S308 (segno's SVG)
        )


@cache
def _providers() -> dict[str, PaymentProvider]:
    names = getattr(
        settings, "VOUCHER_PAYMENT_PROVIDERS", ["marktplatz.vouchers.payments.BankTransfer"]
    )
    providers = [import_string(name)() for name in names]
    return {provider.key: provider for provider in providers}


def providers_for(*, city: Any) -> list[PaymentProvider]:
    return [provider for provider in _providers().values() if provider.available(city)]


def provider(key: str) -> PaymentProvider:
    return _providers()[key]


def order_invoice_number(order: VoucherOrder) -> str:
    return f"G-{order.created_at:%Y}-{order.number:06d}"


def order_create(
    *,
    product: VoucherProduct,
    value_minor: int | None,
    quantity: int,
    provider_key: str,
    buyer: dict[str, str],
    order_url: Any,
) -> VoucherOrder:
    """Record an order and start its payment. ``order_url(order)`` is its address."""
    city = product.city
    if not product.is_active or product.kind == VoucherProduct.Kind.BENEFIT:
        raise VoucherBadValue(_("This voucher is not on sale."))
    value = check_value(product=product, value_minor=value_minor)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise VoucherBadValue(
            _("Order between 1 and %(max)d vouchers at a time.") % {"max": MAX_QUANTITY}
        )
    chosen = {p.key: p for p in providers_for(city=city)}.get(provider_key)
    if chosen is None:
        raise VoucherBadValue(_("This payment method is not offered."))
    with transaction.atomic():
        # One order at a time per town takes the next number (and with it the reference).
        type(city).objects.select_for_update().filter(pk=city.pk).first()
        number = (
            VoucherOrder.objects.filter(city_id=city.pk).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        order = VoucherOrder.objects.create(
            city=city,
            number=number,
            reference=payment_reference(number=number, iban=city.bank_iban),
            provider=chosen.key,
            product=product,
            value_minor=value,
            quantity=quantity,
            total_minor=value * quantity,
            **buyer,
        )
        audit_record(
            city=city,
            actor=None,
            action="voucher.ordered",
            obj=order,
            data={"total": order.total_minor, "provider": chosen.key},
        )
        chosen.start(order, order_url=order_url(order))
    return order


def order_invoice(order: VoucherOrder) -> Invoice:
    city = order.city
    created = timezone.localtime(order.created_at, ZoneInfo(city.time_zone)).date()
    return Invoice(
        number=order_invoice_number(order),
        issued=created,
        due=created + dt.timedelta(days=PAYMENT_DAYS),
        currency=city.currency,
        seller=city_party(city),
        buyer=Party(
            name=order.buyer_name,
            street=order.buyer_street,
            postcode=order.buyer_postcode,
            town=order.buyer_town,
            country=order.buyer_country,
            email=order.buyer_email,
        ),
        iban=city.bank_iban,
        bic=city.bank_bic,
        reference=order.reference,
        lines=[InvoiceLine(order.product.display_name, order.quantity, order.value_minor)],
        title=_("Invoice"),
        note=_("The vouchers are sent by e-mail as soon as the payment has arrived."),
        language=city.default_language[:2],
    )


def city_party(city: Any) -> Party:
    """The operator as seller on invoices, with the town's logo and colour."""
    logo = b""
    if city.logo:
        try:
            with city.logo.open("rb") as file:
                logo = file.read()
        except OSError:
            logo = b""  # the file is gone: the invoice shows the name instead
    return Party(
        name=city.bank_account_holder or city.name,
        street=city.postal_street,
        postcode=city.postal_code,
        town=city.postal_town or city.name,
        country=city.country,
        registration_id=city.registration_id,
        logo=logo,
        colour=city.primary_color,
    )


def order_invoice_pdf(order: VoucherOrder) -> bytes:
    # German towns send the invoice as ZUGFeRD (Factur-X XML inside the PDF).
    return invoice_pdf(order_invoice(order), e_invoice=order.city.country == "DE")


def order_paid(
    *, order: VoucherOrder, amount_minor: int, note: str, actor: Any = None
) -> list[Voucher]:
    """Confirm the payment of ``order``: issue its vouchers and send them to the buyer.

    Only a pending order is paid, and only once: a second confirmation (the same bank
    statement imported twice, two operators at once) changes nothing and returns [].
    """
    with transaction.atomic():
        locked = VoucherOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status != VoucherOrder.Status.PENDING:
            return []
        if amount_minor < locked.total_minor:
            raise VoucherBadValue(_("The amount paid is less than the order's total."))
        vouchers = [
            voucher_sell(
                product=locked.product,
                value_minor=locked.value_minor,
                channel=Voucher.Channel.ONLINE,
                sold_by=actor,
                buyer_email=locked.buyer_email,
                order=locked,
            )
            for _number in range(locked.quantity)
        ]
        VoucherOrder.objects.filter(pk=locked.pk).update(
            status=VoucherOrder.Status.PAID,
            paid_amount_minor=amount_minor,
            paid_at=timezone.now(),
            paid_note=note[:200],
        )
        audit_record(
            city=locked.city,
            actor=actor,
            action="voucher.order_paid",
            obj=locked,
            data={"amount": amount_minor, "note": note[:200]},
        )
        send_mail_on_commit(
            subject=_("Your vouchers for %(town)s") % {"town": locked.city.name},
            body=render_to_string(
                "vouchers/email/order_paid.txt",
                {"order": locked, "city": locked.city, "vouchers": vouchers},
            ),
            to=[locked.buyer_email],
            attachments=[
                (f"voucher-{voucher.code}.pdf", _voucher_pdf(voucher), "application/pdf")
                for voucher in vouchers
            ],
        )
    return vouchers


def order_cancel(*, order: VoucherOrder, actor: Any) -> bool:
    with transaction.atomic():
        changed = VoucherOrder.objects.filter(
            pk=order.pk, status=VoucherOrder.Status.PENDING
        ).update(status=VoucherOrder.Status.CANCELLED)
        if changed:
            audit_record(city=order.city, actor=actor, action="voucher.order_cancelled", obj=order)
    return bool(changed)


def _voucher_pdf(voucher: Voucher) -> bytes:
    from marktplatz.vouchers.printing import voucher_pdf

    return voucher_pdf(voucher=voucher, page_format="A6")


def order_for_reference(*, city: Any, reference: str) -> VoucherOrder | None:
    return (
        VoucherOrder.objects.filter(city_id=city.pk, reference=reference)
        .select_related("product")
        .first()
        if reference
        else None
    )


def credit_apply(*, city: Any, reference: str, amount_minor: int, currency: str, note: str):
    """A bank credit quoting ``reference``: pays the order it names. Returns (outcome,
    order) with outcome ``paid``, ``already_paid``, ``short``, ``currency`` or None
    (no order has this reference)."""
    order = order_for_reference(city=city, reference=reference)
    if order is None:
        return None, None
    outcome = credit_outcome(
        currency=currency,
        expected=city.currency,
        amount_minor=amount_minor,
        total_minor=order.total_minor,
        paid=order.status != VoucherOrder.Status.PENDING,
        pay=lambda: bool(order_paid(order=order, amount_minor=amount_minor, note=note)),
    )
    return outcome, order
