"""Click & collect and delivery: a business's products, how it takes orders (pickup slots,
delivery area, fee, minimum), and the orders of citizens with their lines.

An order goes requested → confirmed (with a ready time) or declined (with a reason) →
ready for pickup or out for delivery → completed, or is cancelled by either side within
the rules of ``orders.workflow``. Paying with the city card (points, the card's purse, a
voucher) is chosen by the citizen once the price is confirmed and booked through the
card's checkout when the order is handed over."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned

MAX_QUANTITY = 99
MAX_LINES = 30


class OrderSettings(CityOwned):
    """How a business takes orders. Pickup slots follow its opening hours: every
    ``slot_minutes`` from opening, the first at least ``lead_minutes`` from now, up to
    ``days_ahead`` days ahead, with at most ``orders_per_slot`` orders each (0: no limit).
    It delivers to the postcodes listed or within the radius around its address."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="order_settings"
    )
    takes_orders = models.BooleanField(_("take orders in the app"), default=False)
    pickup = models.BooleanField(_("pickup (click & collect)"), default=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("length of a pickup slot"),
        default=30,
        choices=[(15, _("15 minutes")), (30, _("30 minutes")), (60, _("1 hour"))],
    )
    orders_per_slot = models.PositiveSmallIntegerField(
        _("orders per slot"), default=4, help_text=_("0 for no limit.")
    )
    lead_minutes = models.PositiveSmallIntegerField(
        _("preparation time in minutes"),
        default=60,
        help_text=_("The earliest pickup slot is at least this long after the order."),
    )
    days_ahead = models.PositiveSmallIntegerField(_("days ahead"), default=3)
    delivery = models.BooleanField(_("home delivery"), default=False)
    delivery_postcodes = models.CharField(
        _("postcodes delivered to"),
        max_length=500,
        blank=True,
        help_text=_("Separated by commas or spaces, e.g. 78462, 78464."),
    )
    delivery_radius_m = models.PositiveIntegerField(
        _("delivery radius in metres"),
        null=True,
        blank=True,
        help_text=_("Around the business's address; leave empty for postcodes only."),
    )
    delivery_fee_minor = models.BigIntegerField(_("delivery fee"), default=0)
    delivery_minimum_minor = models.BigIntegerField(_("minimum order for delivery"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order settings")
        verbose_name_plural = _("order settings")
        constraints = [
            models.CheckConstraint(
                name="order_settings_money",
                condition=Q(delivery_fee_minor__gte=0, delivery_minimum_minor__gte=0),
            ),
            models.CheckConstraint(
                name="order_settings_days", condition=Q(days_ahead__gte=1, days_ahead__lte=14)
            ),
        ]

    def postcodes(self) -> set[str]:
        return {part for part in self.delivery_postcodes.replace(",", " ").split() if part}


class Product(CityOwned):
    """A product a business sells through the app. ``unavailable_on`` is a day it is sold
    out: the next day it is available again without anybody doing anything."""

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="products"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=500, blank=True)
    price_minor = models.BigIntegerField(_("price"))
    image = models.ImageField(_("picture"), upload_to="products/%Y/", blank=True)
    image_alt = models.CharField(_("description of the picture"), max_length=200, blank=True)
    is_listed = models.BooleanField(_("listed"), default=True)
    unavailable_on = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(name="product_price_positive", condition=Q(price_minor__gt=0)),
            models.UniqueConstraint(fields=["merchant", "name"], name="product_name_once"),
        ]

    def __str__(self) -> str:
        return self.name

    def available_on(self, day: dt.date) -> bool:
        return self.is_listed and self.unavailable_on != day


class Order(CityOwned):
    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        READY = "ready", _("Ready for pickup")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", _("Pickup")
        DELIVERY = "delivery", _("Delivery")

    class Side(models.TextChoices):
        CITIZEN = "citizen", _("Customer")
        MERCHANT = "merchant", _("Business")

    code = PublicCodeField()
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders"
    )
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.PROTECT, related_name="orders"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.REQUESTED)
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    pickup_at = models.DateTimeField(_("pickup slot"), null=True, blank=True)
    delivery_name = models.CharField(_("name"), max_length=120, blank=True)
    delivery_street = models.CharField(_("street and number"), max_length=120, blank=True)
    delivery_postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    delivery_locality = models.CharField(_("town"), max_length=80, blank=True)
    delivery_phone = models.CharField(_("phone"), max_length=40, blank=True)
    delivery_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    delivery_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    note = models.TextField(_("your order or wishes"), max_length=1000, blank=True)
    subtotal_minor = models.BigIntegerField(default=0)
    delivery_fee_minor = models.BigIntegerField(default=0)
    # None while a business has yet to price an order written as free text.
    total_minor = models.BigIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    cancelled_by = models.CharField(max_length=10, choices=Side.choices, blank=True)
    # Paying with the city card, as the citizen chose it (booked on handover).
    pay_points = models.PositiveIntegerField(default=0)
    pay_purse_minor = models.BigIntegerField(default=0)
    pay_voucher_code = models.CharField(max_length=40, blank=True)
    pay_voucher_minor = models.BigIntegerField(default=0)
    # What the checkout booked when the order was handed over.
    paid_card_minor = models.BigIntegerField(default=0)
    paid_points = models.PositiveIntegerField(default=0)
    form_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "form_key"], condition=~Q(form_key=""), name="order_form_once"
            ),
            models.CheckConstraint(
                name="order_money",
                condition=Q(
                    subtotal_minor__gte=0,
                    delivery_fee_minor__gte=0,
                    pay_purse_minor__gte=0,
                    pay_voucher_minor__gte=0,
                    paid_card_minor__gte=0,
                )
                & (Q(total_minor__isnull=True) | Q(total_minor__gte=0)),
            ),
            models.CheckConstraint(
                name="order_pickup_has_slot",
                condition=~Q(fulfilment="pickup") | Q(pickup_at__isnull=False),
            ),
            models.CheckConstraint(
                name="order_delivery_has_address",
                condition=~Q(fulfilment="delivery") | ~Q(delivery_street=""),
            ),
            models.CheckConstraint(
                name="order_confirmed_priced",
                condition=Q(state="requested")
                | Q(state="declined")
                | Q(state="cancelled")
                | Q(total_minor__isnull=False, ready_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "state", "created_at"], name="order_board"),
            models.Index(fields=["citizen", "-created_at"], name="order_citizen"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.state not in (self.State.DECLINED, self.State.COMPLETED, self.State.CANCELLED)

    @property
    def pays_by_card(self) -> bool:
        """Whether the citizen chose to pay any part with the city card."""
        return bool(self.pay_points or self.pay_purse_minor or self.pay_voucher_minor)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, related_name="+")
    name = models.CharField(max_length=120)
    unit_price_minor = models.BigIntegerField()
    quantity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="order_line_quantity",
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
            ),
            models.CheckConstraint(name="order_line_price", condition=Q(unit_price_minor__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity
