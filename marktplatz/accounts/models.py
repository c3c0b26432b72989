"""People and their roles. One account can hold roles in several towns."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marktplatz.core.ids import PublicCodeField
from marktplatz.core.tenancy import CityOwned


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An account: the e-mail address is the login. Town memberships are ``Role`` rows."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class RoleKind(models.TextChoices):
    OPERATOR_ADMIN = "operator_admin", _("Operator admin")
    OPERATOR_STAFF = "operator_staff", _("Operator staff")
    MERCHANT_OWNER = "merchant_owner", _("Merchant owner")
    MERCHANT_MANAGER = "merchant_manager", _("Merchant manager")
    MERCHANT_CASHIER = "merchant_cashier", _("Cashier")
    CITY_STAFF = "city_staff", _("City staff")
    EMPLOYER_ADMIN = "employer_admin", _("Employer admin")
    CITIZEN = "citizen", _("Citizen")


OPERATOR_KINDS = frozenset({RoleKind.OPERATOR_ADMIN, RoleKind.OPERATOR_STAFF})
MERCHANT_KINDS = frozenset(
    {RoleKind.MERCHANT_OWNER, RoleKind.MERCHANT_MANAGER, RoleKind.MERCHANT_CASHIER}
)
# These roles may not be used without a second factor (TOTP).
TWO_FACTOR_KINDS = frozenset(
    {RoleKind.OPERATOR_ADMIN, RoleKind.MERCHANT_OWNER, RoleKind.MERCHANT_MANAGER}
)

_merchant_kinds = [k.value for k in MERCHANT_KINDS]


class Role(CityOwned):
    """One role of one account in one town, for merchant roles per merchant, for city
    staff per department, for employer admins per employer."""

    code = PublicCodeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(_("role"), max_length=32, choices=RoleKind.choices)
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    department = models.ForeignKey(
        "cities.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    employer = models.ForeignKey(
        "merchants.Employer", on_delete=models.CASCADE, null=True, blank=True, related_name="roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.CheckConstraint(
                name="role_kind_known", condition=Q(kind__in=[k.value for k in RoleKind])
            ),
            models.CheckConstraint(
                name="role_merchant_iff_merchant_kind",
                condition=Q(kind__in=_merchant_kinds, merchant__isnull=False)
                | (~Q(kind__in=_merchant_kinds) & Q(merchant__isnull=True)),
            ),
            models.CheckConstraint(
                name="role_department_iff_city_staff",
                condition=Q(kind="city_staff", department__isnull=False)
                | (~Q(kind="city_staff") & Q(department__isnull=True)),
            ),
            models.CheckConstraint(
                name="role_employer_iff_employer_admin",
                condition=Q(kind="employer_admin", employer__isnull=False)
                | (~Q(kind="employer_admin") & Q(employer__isnull=True)),
            ),
            models.UniqueConstraint(
                fields=["user", "city", "kind"],
                condition=Q(merchant__isnull=True, department__isnull=True, employer__isnull=True),
                name="role_town_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "merchant"],
                condition=Q(merchant__isnull=False),
                name="role_merchant_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "department"],
                condition=Q(department__isnull=False),
                name="role_department_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "employer"],
                condition=Q(employer__isnull=False),
                name="role_employer_unique",
            ),
        ]

    def __str__(self) -> str:
        target = self.merchant or self.department or self.employer
        label = self.get_kind_display()
        return f"{label} · {target}" if target else str(label)


class Invitation(CityOwned):
    """An e-mailed invitation to take a role. Only a hash of the token is stored."""

    code = PublicCodeField()
    email = models.EmailField(_("e-mail address"))
    kind = models.CharField(_("role"), max_length=32, choices=RoleKind.choices)
    merchant = models.ForeignKey(
        "merchants.Merchant", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "cities.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    employer = models.ForeignKey(
        "merchants.Employer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} · {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def target(self):
        return self.merchant or self.department or self.employer
