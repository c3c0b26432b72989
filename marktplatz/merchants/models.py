"""Businesses taking part: merchants (shops, restaurants, museums, …) and employers."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marktplatz.core.banking import validate_bic, validate_iban
from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned
from marktplatz.merchants.hours import validate_hours


class Category(models.TextChoices):
    FASHION = "fashion", _("Fashion")
    SHOES = "shoes", _("Shoes")
    GROCERY = "grocery", _("Groceries")
    BAKERY = "bakery", _("Bakery")
    BUTCHER = "butcher", _("Butcher")
    RESTAURANT = "restaurant", _("Restaurant")
    CAFE = "cafe", _("Café")
    BOOKS = "books", _("Books and stationery")
    ELECTRONICS = "electronics", _("Electronics")
    PHARMACY = "pharmacy", _("Pharmacy and drugstore")
    OPTICIAN = "optician", _("Optician")
    BEAUTY = "beauty", _("Hair and beauty")
    HOME = "home", _("Home and garden")
    FLORIST = "florist", _("Florist")
    SPORTS = "sports", _("Sports")
    TOYS = "toys", _("Toys")
    JEWELLERY = "jewellery", _("Jewellery and watches")
    CULTURE = "culture", _("Museum and culture")
    LEISURE = "leisure", _("Leisure and swimming")
    PARKING = "parking", _("Parking")
    SERVICES = "services", _("Services")


class Merchant(CityOwned):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    code = PublicCodeField()
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    street = models.CharField(_("street and number"), max_length=120)
    postcode = models.CharField(_("postcode"), max_length=10)
    locality = models.CharField(_("town"), max_length=80)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    opening_hours = models.JSONField(_("opening hours"), default=dict, validators=[validate_hours])
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    logo = models.ImageField(_("logo"), upload_to="merchants/logos/", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    # Where the town pays the business (and collects from it, by its SEPA mandate).
    account_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    # Members of the town's merchant association pay the member rates of settlement fees.
    association_member = models.BooleanField(_("member of the merchant association"), default=False)
    accepting = models.BooleanField(
        _("accepting the card"),
        default=True,
        help_text=_("Customers can collect and redeem at this business now."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="merchant_name_unique"),
            models.CheckConstraint(
                name="merchant_active_only_if_approved",
                condition=Q(is_active=False) | Q(status="approved"),
            ),
            models.CheckConstraint(
                name="merchant_latitude_range",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            ),
            models.CheckConstraint(
                name="merchant_longitude_range",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.is_active and self.status == self.Status.APPROVED

    @property
    def takes_payments(self) -> bool:
        """Whether the business books city-card points and vouchers at the moment."""
        return self.is_public and self.accepting


class Employer(CityOwned):
    """A company that loads employer vouchers onto its employees' cards."""

    code = PublicCodeField()
    name = models.CharField(_("name"), max_length=120)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # The invoice address.
    street = models.CharField(_("street and number"), max_length=70, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    locality = models.CharField(_("town"), max_length=35, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="employer_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
