"""The city card: members, cards, the town's earning rules and every booking.

Points live in the ledger (one points ledger per town). A member's account holds their
points; each merchant has an account that points are issued from (it goes negative: the
points it owes the scheme) and that redeemed points flow back to. Settlement between
merchants and operator turns those positions into money (vouchers and settlement app).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.immutable import Immutable
from marktplatz.core.tenancy import CityOwned, city_copy


class Programme(CityOwned):
    """The town's rules, set by the operator (one row per town)."""

    points_per_unit = models.PositiveIntegerField(
        _("points per 1.00 spent"), default=1, validators=[MaxValueValidator(100)]
    )
    merchant_min_points_per_unit = models.PositiveIntegerField(
        _("lowest rate a merchant may set"), default=1, validators=[MaxValueValidator(100)]
    )
    merchant_max_points_per_unit = models.PositiveIntegerField(
        _("highest rate a merchant may set"), default=5, validators=[MaxValueValidator(100)]
    )
    points_per_unit_redeemed = models.PositiveIntegerField(
        _("points worth 1.00"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
    )
    min_redeem_points = models.PositiveIntegerField(_("fewest points to redeem"), default=100)
    welcome_bonus = models.PositiveIntegerField(_("welcome bonus (points)"), default=100)
    visit_bonus = models.PositiveIntegerField(_("bonus per visit (points)"), default=0)
    daily_cap_per_card = models.PositiveIntegerField(
        _("most points one card may earn per day"), default=2000
    )
    max_purchase_minor = models.PositiveBigIntegerField(
        _("largest purchase accepted (cents)"), default=500000
    )
    expiry_months = models.PositiveIntegerField(
        _("points expire after (months)"), default=36, validators=[MinValueValidator(1)]
    )
    refund_window_days = models.PositiveIntegerField(
        _("refunds possible for (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    cancel_window_minutes = models.PositiveIntegerField(
        _("a cashier may cancel a booking for (minutes)"), default=15
    )
    apple_wallet = models.BooleanField(_("offer the card for Apple Wallet"), default=True)
    google_wallet = models.BooleanField(_("offer the card for Google Wallet"), default=True)

    class Meta:
        verbose_name = _("card programme")
        constraints = [
            models.UniqueConstraint(fields=["city"], name="programme_one_per_city"),
            models.CheckConstraint(
                name="programme_merchant_range",
                condition=Q(merchant_min_points_per_unit__lte=F("merchant_max_points_per_unit")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}"


class MerchantRules(CityOwned):
    """A merchant's own earning rate, within the operator's range."""

    merchant = models.OneToOneField(
        "merchants.Merchant", on_delete=models.CASCADE, related_name="loyalty_rules"
    )
    points_per_unit = models.PositiveIntegerField(_("points per 1.00 spent"))

    class Meta:
        verbose_name = _("merchant earning rate")


class Campaign(CityOwned):
    """More points for a while: a multiplier on the points of purchases (200 = double),
    for the whole town or one merchant."""

    code = PublicCodeField()
    name = models.CharField(_("name"), max_length=120)
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every business of the town."),
    )
    multiplier_percent = models.PositiveIntegerField(
        _("points in percent"),
        default=200,
        validators=[MinValueValidator(100), MaxValueValidator(1000)],
        help_text=_("200 gives double points, 150 half as many again."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                name="campaign_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))
            ),
            models.CheckConstraint(
                name="campaign_multiplier_range",
                condition=Q(multiplier_percent__gte=100, multiplier_percent__lte=1000),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Member(CityOwned):
    """A card holder: a citizen account, or nobody yet (an anonymous plastic card)."""

    code = PublicCodeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    account = models.OneToOneField("ledger.Account", on_delete=models.PROTECT, related_name="+")
    # Points owed after refunds of points already spent (see services.refund).
    debt_account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="+"
    )
    welcomed = models.BooleanField(default=False)
    # For the daily cap: the points earned since ``earned_since`` (the start of the
    # member's last day with a purchase), kept with each purchase under the account lock.
    earned_since = models.DateTimeField(null=True, blank=True, editable=False)
    earned_since_points = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "user"], condition=Q(user__isnull=False), name="member_user_unique"
            )
        ]

    def __str__(self) -> str:
        return self.code


class CardBatch(CityOwned):
    code = PublicCodeField()
    size = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5000)])
    note = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("card batch")
        ordering = ["-created_at"]


class Card(CityOwned):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    class Form(models.TextChoices):
        PLASTIC = "plastic", _("Plastic card")
        DIGITAL = "digital", _("Digital card")

    code = PublicCodeField()
    number = models.CharField(_("card number"), max_length=16, unique=True)
    qr_token = models.CharField(max_length=40, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="cards")
    form = models.CharField(max_length=8, choices=Form.choices)
    batch = models.ForeignKey(CardBatch, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    block_reason = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")

    def __str__(self) -> str:
        from marktplatz.loyalty.cardnumbers import format_number

        return format_number(self.number)


class BookingKind(models.TextChoices):
    EARN = "earn", _("Points earned")
    REDEEM = "redeem", _("Points redeemed")
    REFUND = "refund", _("Refund")
    CANCEL = "cancel", _("Cancellation")
    BONUS = "bonus", _("Bonus")
    ADJUST_PLUS = "adjust_plus", _("Points credited by the town")
    ADJUST_MINUS = "adjust_minus", _("Points debited by the town")
    EXPIRY = "expiry", _("Points expired")
    TRANSFER = "transfer", _("Card claimed")
    REWARD = "reward", _("Reward")


class Booking(Immutable, CityOwned):
    """What happened at the counter (or by rule), with the ledger transaction it caused."""

    city = city_copy()
    code = PublicCodeField()
    kind = models.CharField(max_length=12, choices=BookingKind.choices)
    # Member and merchant are indexed with the time below.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="bookings", db_index=False
    )
    card = models.ForeignKey(Card, on_delete=models.PROTECT, null=True, blank=True)
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    purchase_minor = models.BigIntegerField(default=0)
    points = models.BigIntegerField()
    # Points a refund could not take back because they were already spent (owed now).
    shortfall = models.BigIntegerField(default=0)
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        db_index=False,  # a partial index below: only corrections name an original
    )
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.PROTECT, related_name="booking"
    )
    reason = models.CharField(max_length=200, blank=True)
    # The offer a purchase used at the till (loyalty.offers), by its code.
    offer_code = models.CharField(max_length=16, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["merchant", "created_at"], name="booking_merchant_time"),
            models.Index(fields=["member", "created_at"], name="booking_member_time"),
            # Refunds and cancellations are few; the settlement looks them up by month.
            models.Index(
                fields=["created_at"],
                condition=Q(kind__in=["refund", "cancel"]),
                name="booking_corrections_time",
            ),
            models.Index(
                fields=["original"], condition=Q(original__isnull=False), name="booking_original"
            ),
        ]
        constraints = [
            models.CheckConstraint(name="booking_points_not_negative", condition=Q(points__gte=0)),
            models.CheckConstraint(
                name="booking_purchase_not_negative", condition=Q(purchase_minor__gte=0)
            ),
        ]


class PointsLot(CityOwned):
    """Points earned together, expiring together; spending uses the oldest lots first."""

    city = city_copy()
    # Indexed with the expiry below.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="lots", db_index=False
    )
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="lots")
    points = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField(db_index=True)
    reminded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="lot_remaining_in_range",
                condition=Q(remaining__gte=0, remaining__lte=F("points")),
            )
        ]
        indexes = [models.Index(fields=["member", "expires_at"], name="lot_member_expiry")]


class Reward(CityOwned):
    """Something to get for points: an hour of parking, museum or pool entry, a ticket.

    Offered by a merchant (who fulfils it) or by the operator (merchant empty)."""

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rewards",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=1000)
    points = models.PositiveIntegerField(_("price in points"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(
        _("how many are left"), null=True, blank=True, help_text=_("Empty for no limit.")
    )
    per_person_limit = models.PositiveIntegerField(
        _("at most per person"), default=1, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points", "title"]
        constraints = [
            models.CheckConstraint(name="reward_price_positive", condition=Q(points__gt=0)),
        ]

    def __str__(self) -> str:
        return self.title


class RewardClaim(CityOwned):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Ready to collect")
        FULFILLED = "fulfilled", _("Collected")

    code = PublicCodeField()
    # What the claim's QR code carries: 128 random bits, unguessable.
    token = models.CharField(max_length=40, unique=True)
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="claims")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="reward_claims")
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="reward_claim")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    created_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reward claim")
        ordering = ["-created_at"]


class MemberEvent(CityOwned):
    """An event for card holders only, with a limited number of places."""

    code = PublicCodeField()
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("place"), max_length=200)
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("member event")
        verbose_name_plural = _("member events")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title


class Rsvp(CityOwned):
    event = models.ForeignKey(MemberEvent, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="rsvps")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="rsvp_once_per_member")
        ]
