"""The City Messenger: citizens follow businesses and kinds of business; businesses and the
operator publish offers, which reach followers or everybody in town."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned
from marktplatz.merchants.models import Category

MAX_OFFER_DAYS = 366
MAX_BONUS_POINTS = 10_000


class Follow(CityOwned):
    """A person follows one business, or one kind of business (a category), in a town."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followers",
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                name="follow_merchant_or_category",
                condition=(Q(merchant__isnull=False) & Q(category=""))
                | (Q(merchant__isnull=True) & ~Q(category="")),
            ),
            models.UniqueConstraint(
                fields=["user", "merchant"],
                condition=Q(merchant__isnull=False),
                name="follow_merchant_once",
            ),
            models.UniqueConstraint(
                fields=["city", "user", "category"],
                condition=~Q(category=""),
                name="follow_category_once",
            ),
        ]
        indexes = [models.Index(fields=["merchant"], name="follow_merchant")]


class Audience(models.TextChoices):
    FOLLOWERS = "followers", _("Followers only")
    TOWN = "town", _("Everybody in town")


class Offer(CityOwned):
    """An offer of a business (``merchant``) or of the town's operator (no merchant).

    It is shown from ``starts_on`` to ``ends_on`` (both included, town time) once
    published, until withdrawn. ``bonus_points`` are extra card points a purchase with the
    offer earns; ``reward`` an optional reward of the card it points to.
    """

    code = PublicCodeField()
    merchant = models.ForeignKey(
        "merchants.Merchant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="offers",
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=2000)
    image = models.ImageField(_("image"), upload_to="offers/", blank=True)
    image_alt = models.CharField(
        _("image description"),
        max_length=200,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    starts_on = models.DateField(_("shown from"))
    ends_on = models.DateField(_("shown until"))
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.FOLLOWERS
    )
    bonus_points = models.PositiveIntegerField(
        _("bonus points"),
        default=0,
        validators=[MaxValueValidator(MAX_BONUS_POINTS)],
        help_text=_("Extra city-card points for a purchase with this offer (0 for none)."),
    )
    reward = models.ForeignKey(
        "loyalty.Reward",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reward of the city card"),
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The key of the form that created it: the same form sent twice creates one offer.
    form_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-starts_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="offer_dates_in_order", condition=Q(ends_on__gte=models.F("starts_on"))
            ),
            models.CheckConstraint(
                name="offer_bonus_bounded", condition=Q(bonus_points__lte=MAX_BONUS_POINTS)
            ),
            models.UniqueConstraint(
                fields=["city", "form_key"], condition=~Q(form_key=""), name="offer_form_once"
            ),
            models.CheckConstraint(
                name="offer_withdrawn_after_published",
                condition=Q(withdrawn_at__isnull=True) | Q(published_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["city", "ends_on"], name="offer_city_ends"),
            models.Index(fields=["merchant", "ends_on"], name="offer_merchant_ends"),
        ]

    def __str__(self) -> str:
        return self.title

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    def state(self, today: dt.date) -> str:
        """Where the offer stands on ``today`` (the town's date)."""
        if self.withdrawn_at is not None:
            return self.State.WITHDRAWN
        if self.published_at is None:
            return self.State.DRAFT
        if today < self.starts_on:
            return self.State.SCHEDULED
        if today > self.ends_on:
            return self.State.ENDED
        return self.State.LIVE

    def state_label(self, today: dt.date) -> str:
        return str(self.State(self.state(today)).label)


class OfferDay(CityOwned):
    """An offer's figures of one day (the town's date): counted, never per person.

    Impressions count an offer that was on a person's screen, opens its page being read,
    shares the share button; each once per person and day. Saves count people who saved
    it, once each; redemptions the purchases booked with it at the till.
    """

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    impressions = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    redemptions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "day"], name="offer_day_once"),
        ]


class SavedOffer(CityOwned):
    """An offer a person keeps for later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_offers"
    )
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="saved_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "offer"], name="saved_offer_once"),
        ]
