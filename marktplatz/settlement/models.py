"""Monthly settlement with every merchant: a statement per merchant and month, backed by
one ledger transaction whose transfers are its lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.immutable import Immutable
from marktplatz.core.tenancy import CityOwned


class SettlementRules(CityOwned):
    """The town's fees, in basis points (1 % = 100) or minor units, for association members
    and for other businesses."""

    city = models.OneToOneField(
        "cities.City", on_delete=models.CASCADE, related_name="settlement_rules"
    )
    points_fee_bp_member = models.PositiveIntegerField(
        _("fee on points issued, members (bp)"), default=300
    )
    points_fee_bp_other = models.PositiveIntegerField(
        _("fee on points issued, others (bp)"), default=500
    )
    voucher_commission_bp_member = models.PositiveIntegerField(
        _("commission on vouchers, members (bp)"), default=200
    )
    voucher_commission_bp_other = models.PositiveIntegerField(
        _("commission on vouchers, others (bp)"), default=400
    )
    monthly_fee_member = models.PositiveIntegerField(_("monthly fee, members"), default=0)
    monthly_fee_other = models.PositiveIntegerField(_("monthly fee, others"), default=1500)

    class Meta:
        verbose_name = _("settlement rules")
        verbose_name_plural = _("settlement rules")


class Statement(Immutable, CityOwned):
    """A merchant's month. Closed when written: corrections land in a later month."""

    code = PublicCodeField()
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("month"))
    # None when nothing was to be booked (no activity, no fee).
    transaction = models.OneToOneField(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement",
    )
    # What the merchant is owed (> 0, paid out) or owes (< 0, collected), in minor units.
    net_minor = models.BigIntegerField(_("balance"))
    # Activity behind the lines (counts and points), for the reader; amounts are transfers.
    activity = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "period_start"], name="statement_once_per_month"
            )
        ]


class StatementPayment(CityOwned):
    """A business paid what its statement says it owes (seen in the bank statement, or
    confirmed by the operator): the invoice is settled."""

    statement = models.OneToOneField(Statement, on_delete=models.PROTECT, related_name="payment")
    amount_minor = models.BigIntegerField(_("amount"))
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("statement payment")
        verbose_name_plural = _("statement payments")


class SettlementRun(Immutable, CityOwned):
    """A month settled: written once per town and month, by the run that wrote its
    statements. It fixes the dates its payment files carry (and its invoices name)."""

    code = PublicCodeField()
    month = models.DateField(_("month"))
    statements = models.PositiveIntegerField(default=0)
    payout_minor = models.BigIntegerField(_("to pay out"), default=0)
    collect_minor = models.BigIntegerField(_("to collect"), default=0)
    # Payouts are executed, direct debits collected, on these days.
    execution_date = models.DateField()
    collection_date = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        constraints = [
            models.UniqueConstraint(fields=["city", "month"], name="settlement_run_once_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class PaymentFile(Immutable, CityOwned):
    """A run's payment file (pain.001 payouts or pain.008 collections), made once, on its
    first download, and handed out byte for byte every time after: the bank sees one
    message id per file and can refuse a second upload of it as a duplicate."""

    class Kind(models.TextChoices):
        PAYOUTS = "payouts", _("Payouts")
        COLLECTIONS = "collections", _("Collections")

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    message_id = models.CharField(max_length=35)
    checksum = models.CharField(max_length=64)  # SHA-256 of the XML, hex
    xml = models.BinaryField()
    count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    # The statements in the file (their ids): an invoice says direct debit only for these.
    statement_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")
        constraints = [
            models.UniqueConstraint(fields=["run", "kind"], name="payment_file_once_per_run"),
            models.UniqueConstraint(fields=["city", "message_id"], name="payment_file_message_id"),
        ]
