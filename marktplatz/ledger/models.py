"""A double-entry ledger per (town, asset), after TigerBeetle's model.

It knows nothing of loyalty or vouchers. Amounts are integers > 0 (points, or minor units
of a currency). An account's ``balance`` is its posted credits minus its posted debits,
cached on the row and updated in the same transaction as the transfer that changes it;
``pending_debits``/``pending_credits`` are amounts held by pending (two-phase) transfers.
Per ledger the balances sum to zero, and every cached figure equals the sum of its
transfers: ``services.ledger_verify`` checks both.

Transfers and transactions are append-only (the database refuses UPDATE and DELETE);
a correction is a new transfer that reverses an old one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.immutable import Immutable
from marktplatz.core.tenancy import CityOwned, city_copy


class Ledger(CityOwned):
    code = PublicCodeField()
    # "points", or an ISO 4217 currency code for money.
    asset = models.CharField(_("asset"), max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger")
        verbose_name_plural = _("ledgers")
        constraints = [
            models.UniqueConstraint(fields=["city", "asset"], name="ledger_city_asset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.asset}"


class AccountKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    MERCHANT = "merchant", _("Merchant")
    OPERATOR = "operator", _("Operator")
    ISSUANCE = "issuance", _("Issuance")
    LIABILITY = "liability", _("Liability")
    BREAKAGE = "breakage", _("Breakage")
    SETTLEMENT = "settlement", _("Settlement")
    RECEIVABLE = "receivable", _("Receivable")


class Account(CityOwned):
    code = PublicCodeField()
    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    # Who or what the account stands for, e.g. "member:<code>" or "merchant:<code>".
    reference = models.CharField(_("reference"), max_length=64)
    name = models.CharField(_("name"), max_length=120, blank=True)
    allow_negative = models.BooleanField(_("may go negative"), default=False)
    balance = models.BigIntegerField(_("balance"), default=0)
    pending_debits = models.BigIntegerField(default=0)
    pending_credits = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "reference"], name="account_ledger_reference_unique"
            ),
            # The invariant that matters most, in the database itself: an account that
            # may not go negative never has less than it has promised to pending debits.
            models.CheckConstraint(
                name="account_not_overdrawn",
                condition=Q(allow_negative=True) | Q(balance__gte=F("pending_debits")),
            ),
            models.CheckConstraint(
                name="account_pending_not_negative",
                condition=Q(pending_debits__gte=0, pending_credits__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.reference

    @property
    def available(self) -> int:
        """What the account can still spend: posted balance less pending debits."""
        return self.balance - self.pending_debits


class Transaction(Immutable, CityOwned):
    """One posting: its transfers are applied all together or not at all."""

    city = city_copy()
    code = PublicCodeField()
    # Checked by ledger_verify rather than by a constraint: a town's one points ledger
    # would otherwise be locked by every booking (see city_copy).
    ledger = models.ForeignKey(
        Ledger, on_delete=models.PROTECT, related_name="transactions", db_constraint=False
    )
    # A retry with the same key and content returns this transaction; other content → 409.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    fingerprint = models.CharField(max_length=64)
    reason_code = models.CharField(_("reason code"), max_length=64)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=128, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # a partial index below: tills book without a person
    )
    # Who acted when it was not a person: e.g. "api-key:<prefix>" or "system:expiry".
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        indexes = [
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="transaction_actor"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ledger", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="transaction_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason_code} {self.code}"


class TransferKind(models.TextChoices):
    POSTED = "posted", _("Posted")
    PENDING = "pending", _("Pending")
    POST_PENDING = "post_pending", _("Pending posted")
    VOID_PENDING = "void_pending", _("Pending voided")
    EXPIRE_PENDING = "expire_pending", _("Pending expired")


# Kinds that move the posted balance; PENDING moves pending amounts; the last two only
# release a hold.
BALANCE_KINDS = (TransferKind.POSTED, TransferKind.POST_PENDING)
RESOLVING_KINDS = (
    TransferKind.POST_PENDING,
    TransferKind.VOID_PENDING,
    TransferKind.EXPIRE_PENDING,
)


class Transfer(Immutable, CityOwned):
    city = city_copy()
    code = PublicCodeField()
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="transfers")
    # The transaction's ledger; checked by ledger_verify (see Transaction.ledger).
    ledger = models.ForeignKey(
        Ledger, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    # Indexed with the time below.
    debit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    credit_account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = models.BigIntegerField()
    reason_code = models.CharField(max_length=64)
    # For the resolution of a pending transfer: which one it resolves.
    # (Indexed by the unique constraint below.)
    pending = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolutions",
        db_index=False,
    )
    # For a reversal: which posted transfer it (partly) undoes.
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        db_index=False,
    )
    timeout_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        indexes = [
            models.Index(fields=["debit_account", "created_at"], name="transfer_debit_time"),
            models.Index(fields=["credit_account", "created_at"], name="transfer_credit_time"),
            models.Index(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="transfer_reverses"
            ),
        ]
        constraints = [
            models.CheckConstraint(name="transfer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="transfer_two_accounts", condition=~Q(debit_account=F("credit_account"))
            ),
            models.CheckConstraint(
                name="transfer_kind_known", condition=Q(kind__in=TransferKind.values)
            ),
            models.CheckConstraint(
                name="transfer_resolution_names_pending",
                condition=Q(kind__in=RESOLVING_KINDS, pending__isnull=False)
                | (~Q(kind__in=RESOLVING_KINDS) & Q(pending__isnull=True)),
            ),
            # A pending transfer is resolved once: posted, voided or expired.
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="transfer_pending_resolved_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.debit_account_id}→{self.credit_account_id}"
