"""Towns are the tenants: every other row of a town points to its City."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from marktplatz.core.banking import validate_bic, validate_creditor_id, validate_iban
from marktplatz.core.colors import contrast_ratio
from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned

# First path segments the platform itself uses: a town may not take them as its slug.
RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "api",
        "brand",
        "healthz",
        "i18n",
        "media",
        "static",
        "www",
        "operator",
        "merchant",
        "merchants",
        "invitations",
        "me",
        "card",
        "manifest",
        "sw",
        "roles",
        "rewards",
        "events",
        "wallet",
        "vouchers",
    }
)

HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("This name is reserved by the platform."), code="reserved")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="time_zone")


def validate_registration_id(value: str) -> None:
    """A Swiss UID (CHE-…) must carry a valid check digit; anything else is free text."""
    from stdnum.ch import uid

    if value.upper().startswith("CHE") and not uid.is_valid(value.split()[0]):
        raise ValidationError(_("Enter a valid UID such as CHE-123.456.788."), code="uid")


def validate_domain(value: str) -> None:
    if not re.fullmatch(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", value):
        raise ValidationError(_("Enter a host name such as karte.example.org."), code="domain")


class City(models.Model):
    class Country(models.TextChoices):
        DE = "DE", _("Germany")
        CH = "CH", _("Switzerland")
        AT = "AT", _("Austria")
        LI = "LI", _("Liechtenstein")
        LU = "LU", _("Luxembourg")
        FR = "FR", _("France")
        IT = "IT", _("Italy")

    class Currency(models.TextChoices):
        EUR = "EUR", _("Euro")
        CHF = "CHF", _("Swiss franc")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("short name"),
        max_length=40,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=_("Used in addresses: /<short name>/ or <short name>.example.org."),
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    default_language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES, default="de"
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Berlin", validators=[validate_time_zone]
    )
    domain = models.CharField(
        _("own domain"),
        max_length=253,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_domain],
        help_text=_("Optional host name of the town's own site, e.g. karte.rheinstadt.de."),
    )
    logo = models.ImageField(_("logo"), upload_to="cities/logos/", blank=True)
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#1d4f91", validators=[HEX_COLOR]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, default="#b3261e", validators=[HEX_COLOR]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The operator's bank account: payouts to businesses leave it, collections reach it.
    bank_account_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    bank_iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bank_bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    sepa_creditor_id = models.CharField(
        _("SEPA creditor identifier"),
        max_length=35,
        blank=True,
        validators=[validate_creditor_id],
        help_text=_("Needed to collect from businesses by direct debit."),
    )
    # The operator's postal address, for invoices and the Swiss QR-bill.
    postal_street = models.CharField(_("street and number"), max_length=70, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=16, blank=True)
    postal_town = models.CharField(_("town"), max_length=35, blank=True)
    # Names the operator on e-invoices (EN 16931 BT-30, rule BR-CO-26). Not the VAT
    # number: vouchers are outside the scope of VAT, and such invoices may not carry one.
    registration_id = models.CharField(
        _("register number"),
        max_length=50,
        blank=True,
        validators=[validate_registration_id],
        help_text=_(
            "The operator's commercial register or business identification number, e.g. "
            "HRB 12345 Amtsgericht Freiburg or CHE-123.456.789. Printed on invoices; "
            "without it no e-invoice (ZUGFeRD) is attached."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("town")
        verbose_name_plural = _("towns")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__in=["EUR", "CHF"]), name="city_currency_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.domain:
            self.domain = self.domain.lower()
        # Buttons and the header put white text on both colours: keep WCAG AA (4.5:1).
        errors = {}
        for field in ("primary_color", "accent_color"):
            value = getattr(self, field)
            if HEX_COLOR.regex.match(value or "") and contrast_ratio(value, "#ffffff") < 4.5:
                errors[field] = ValidationError(
                    _("White text on this colour is too hard to read; choose a darker one."),
                    code="contrast",
                )
        if errors:
            raise ValidationError(errors)

    @property
    def locale(self) -> str:
        """The Babel locale for numbers and money, e.g. de_CH (language of the page); one
        that exists for every language × country (fr in a German town: fr)."""
        from django.utils.translation import get_language

        from marktplatz.core.money import babel_locale

        return babel_locale(get_language() or self.default_language, self.country)

    def local_date(self, when: dt.datetime) -> dt.date:
        """The town's date at the moment ``when`` (whatever time zone is active)."""
        return when.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def absolute_url(self, path: str) -> str:
        """``path`` (as ``reverse`` gives it, without the town) as a full address, for
        e-mails and pushes sent without a request: on the town's own domain, or below
        ``SITE_URL`` with the town's prefix."""
        from django.conf import settings

        if self.domain:
            return f"https://{self.domain}{path}"
        return f"{settings.SITE_URL.rstrip('/')}/{self.slug}{path}"


class Department(CityOwned):
    """A unit of the city administration; city staff work for one or more departments."""

    code = PublicCodeField()
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="department_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
