"""The money a city card holds (its purse) and the employer benefits that fill it.

A purse is not an account of its own: it is the vouchers loaded onto the card, each with
its own account in the currency ledger. Employer benefits are vouchers of the town's
benefit product, one per load, with the month they belong to; gift vouchers can be
loaded onto a card by their holder. The town's businesses take the purse like vouchers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.immutable import Immutable
from marktplatz.core.tenancy import CityOwned

# The tax-free monthly benefit in kind, by country (minor units); a town can change it.
# Germany: § 8 Abs. 2 Satz 11 EStG, 50 euros a month since 2022.
DEFAULT_MONTHLY_LIMITS = {"DE": 5000}
FALLBACK_MONTHLY_LIMIT = 5000


class BenefitRules(CityOwned):
    city = models.OneToOneField(
        "cities.City", on_delete=models.CASCADE, related_name="benefit_rules"
    )
    monthly_limit_minor = models.PositiveIntegerField(
        _("tax-free limit per employee and month"), default=FALLBACK_MONTHLY_LIMIT
    )

    class Meta:
        verbose_name = _("employer benefit rules")
        verbose_name_plural = _("employer benefit rules")


class Employee(CityOwned):
    """Someone an employer gives the benefit to, with the card it is loaded onto."""

    code = PublicCodeField()
    employer = models.ForeignKey(
        "merchants.Employer", on_delete=models.PROTECT, related_name="employees"
    )
    personnel_number = models.CharField(_("personnel number"), max_length=32)
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=60)
    email = models.EmailField(_("e-mail"), blank=True)
    card = models.ForeignKey(
        "loyalty.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What is loaded each month; None: the town's tax-free limit.
    monthly_amount_minor = models.PositiveIntegerField(_("monthly amount"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "personnel_number"], name="employee_personnel_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class EmployeeImport(CityOwned):
    """An uploaded employee list, checked and saved by a background task: all rows or
    none. ``report`` lists every bad row with its line and reason."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        CHECKING = "checking", _("Checking rows")
        FAILED = "failed", _("Not imported: the file has bad rows")
        DONE = "done", _("Imported")

    code = PublicCodeField()
    employer = models.ForeignKey("merchants.Employer", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    content = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list)  # [{"line": 3, "reason": "..."}]
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("employee import")
        verbose_name_plural = _("employee imports")

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.FAILED):
            return 100
        return self.rows_done * 100 // self.rows_total if self.rows_total else 0


class BenefitLoad(Immutable, CityOwned):
    """One month's benefit loaded onto one employee's card, as a voucher of its own.

    At most one per employee and month (a unique constraint): a second load run in the
    same month, from another tab or a second click, loads nothing more for anyone."""

    code = PublicCodeField()
    employer = models.ForeignKey("merchants.Employer", on_delete=models.PROTECT, related_name="+")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="loads")
    month = models.DateField(_("month"))
    amount_minor = models.PositiveIntegerField(_("amount"))
    voucher = models.OneToOneField(
        "vouchers.Voucher", on_delete=models.PROTECT, related_name="benefit_load"
    )
    # The load run (the confirmation form's key): a repeated submission answers as the
    # first did.
    run_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("benefit load")
        verbose_name_plural = _("benefit loads")
        indexes = [
            models.Index(fields=["employer", "month"], name="benefit_employer_month"),
            models.Index(fields=["employer", "run_key"], name="benefit_employer_run"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["employee", "month"], name="benefit_load_once_a_month"),
            models.CheckConstraint(name="benefit_positive", condition=Q(amount_minor__gt=0)),
        ]


class EmployerInvoice(CityOwned):
    """What an employer owes for one month's loads; paid by transfer (camt.053 import or
    marked by the operator). Written once per employer and month."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")

    code = PublicCodeField()
    employer = models.ForeignKey(
        "merchants.Employer", on_delete=models.PROTECT, related_name="invoices"
    )
    month = models.DateField(_("month"))
    number = models.PositiveIntegerField()
    reference = models.CharField(_("payment reference"), max_length=32)
    total_minor = models.PositiveIntegerField(_("total"))
    loads = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("employer invoice")
        verbose_name_plural = _("employer invoices")
        constraints = [
            models.UniqueConstraint(fields=["employer", "month"], name="employer_invoice_month"),
            models.UniqueConstraint(fields=["city", "number"], name="employer_invoice_number"),
            models.UniqueConstraint(
                fields=["city", "reference"], name="employer_invoice_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"A-{self.month:%Y}-{self.number:06d}"
