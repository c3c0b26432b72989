"""City gift vouchers: products, sold vouchers (each with an account in the town's
currency ledger) and their redemptions at merchants. Money moves only through the ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField, new_code
from marktplatz.core.immutable import Immutable
from marktplatz.core.money import format_money
from marktplatz.core.tenancy import CityOwned


def new_secret_code() -> str:
    """24 characters, 120 bits: the order's address is all a buyer needs to see it."""
    return new_code(24)


class VoucherRules(CityOwned):
    """The town's voucher rules (one row per town, made on first use)."""

    city = models.OneToOneField(
        "cities.City", on_delete=models.CASCADE, related_name="voucher_rules"
    )
    # Valid until the end of the year this many years after the sale (German law: 3).
    validity_years = models.PositiveSmallIntegerField(_("validity in years"), default=3)
    min_value_minor = models.PositiveIntegerField(_("smallest value"), default=500)
    max_value_minor = models.PositiveIntegerField(_("largest value"), default=50000)

    class Meta:
        verbose_name = _("voucher rules")
        verbose_name_plural = _("voucher rules")
        constraints = [
            models.CheckConstraint(
                name="voucher_rules_range",
                condition=Q(min_value_minor__lte=models.F("max_value_minor")),
            )
        ]


class VoucherProduct(CityOwned):
    """What the operator sells: a fixed value (e.g. 25.00) or a value the buyer chooses."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed value")
        FREE = "free", _("Value of the buyer's choice")
        # Made by the system for employer benefits (never sold).
        BENEFIT = "benefit", _("Employer benefit")

    code = PublicCodeField()
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.FIXED)
    value_minor = models.PositiveIntegerField(_("value"), null=True, blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#1d4e89")
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("voucher product")
        verbose_name_plural = _("voucher products")
        constraints = [
            models.CheckConstraint(
                name="voucher_product_value_iff_fixed",
                condition=Q(kind="fixed", value_minor__gt=0)
                | Q(kind__in=["free", "benefit"], value_minor=None),
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name shown to people: the operator's own text as entered (one language,
        theirs); products the platform makes (employer benefits) and products without a
        name of their own (the demo's) are named in the reader's language."""
        if self.kind == self.Kind.BENEFIT:
            return str(self.Kind.BENEFIT.label)
        if self.name.strip():
            return self.name
        if self.kind == self.Kind.FIXED and self.value_minor:
            value = format_money(self.value_minor, self.city.currency, self.city.locale)
            return _("City voucher %(value)s") % {"value": value}
        return str(_("City voucher, amount of your choice"))


class VoucherOrder(CityOwned):
    """An online purchase of vouchers, paid through a payment provider (``payments``).

    The vouchers are issued when the payment is confirmed, never before: no value exists
    in the ledger for money not yet received.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    code = PublicCodeField(max_length=24, default=new_secret_code)
    number = models.PositiveIntegerField(_("order number"))
    # The structured reference the buyer quotes with the transfer (RF… or QR reference).
    reference = models.CharField(_("payment reference"), max_length=32)
    provider = models.CharField(_("payment method"), max_length=20)
    product = models.ForeignKey(VoucherProduct, on_delete=models.PROTECT, related_name="+")
    value_minor = models.PositiveIntegerField(_("value"))
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    total_minor = models.PositiveIntegerField(_("total"))
    buyer_name = models.CharField(_("name"), max_length=70)
    buyer_email = models.EmailField(_("e-mail"))
    buyer_street = models.CharField(_("street and number"), max_length=70, blank=True)
    buyer_postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    buyer_town = models.CharField(_("town"), max_length=35, blank=True)
    buyer_country = models.CharField(_("country"), max_length=2, default="DE")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    paid_amount_minor = models.PositiveIntegerField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_note = models.CharField(max_length=200, blank=True)  # who or which statement
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("voucher order")
        verbose_name_plural = _("voucher orders")
        constraints = [
            models.UniqueConstraint(fields=["city", "number"], name="voucher_order_number"),
            models.UniqueConstraint(fields=["city", "reference"], name="voucher_order_reference"),
            models.CheckConstraint(name="voucher_order_quantity", condition=Q(quantity__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.number:06d}"


class Voucher(CityOwned):
    """A sold voucher. Its balance is the balance of its ledger account."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        ONLINE = "online", _("Online")
        EMPLOYER = "employer", _("Employer benefit")

    code = PublicCodeField()
    # What is printed and in the QR code: 100 random bits (codes.new_voucher_code).
    secret = models.CharField(max_length=32, unique=True)
    product = models.ForeignKey(VoucherProduct, on_delete=models.PROTECT, related_name="vouchers")
    value_minor = models.PositiveIntegerField(_("value"))
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    buyer_email = models.EmailField(_("buyer's e-mail"), blank=True)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("valid until"))
    expired = models.BooleanField(default=False)  # the rest was moved to breakage
    # Loaded onto a city card: the holder pays with the card instead of the code.
    card = models.ForeignKey(
        "loyalty.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers"
    )
    order = models.ForeignKey(
        VoucherOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        indexes = [models.Index(fields=["expired", "expires_at"], name="voucher_expiry")]

    def __str__(self) -> str:
        return f"{self.product} {self.code}"


class VoucherRedemption(Immutable, CityOwned):
    """A voucher spent (in part) at a merchant, with the ledger transaction it caused."""

    code = PublicCodeField()
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    # One transaction may spend several vouchers (a payment with a card's vouchers).
    transaction = models.ForeignKey(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="voucher_redemptions"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("voucher redemption")
        verbose_name_plural = _("voucher redemptions")
        indexes = [models.Index(fields=["merchant", "created_at"], name="redemption_merchant_time")]
        constraints = [
            models.CheckConstraint(name="redemption_positive", condition=Q(amount_minor__gt=0))
        ]
