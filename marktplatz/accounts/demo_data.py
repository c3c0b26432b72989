"""Demo data of the accounts app: a login for every role and about 500 citizens per town."""

from __future__ import annotations

import base64
import hashlib

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password

from marktplatz.accounts.models import TWO_FACTOR_KINDS, Role, RoleKind, User
from marktplatz.cities.models import Department
from marktplatz.core.tenancy import scopes_disabled
from marktplatz.demo.names import FIRST_NAMES, SURNAMES
from marktplatz.demo.registry import DEMO_PASSWORD
from marktplatz.merchants.models import Employer, Merchant


def demo_totp_secret(email: str) -> str:
    """A fixed TOTP secret per demo login, so the printed instructions stay valid."""
    digest = hashlib.sha256(f"marktplatz-demo-totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def _login(email: str, first: str, last: str, *, superuser: bool = False, password: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(
            email=email,
            first_name=first,
            last_name=last,
            is_staff=superuser,
            is_superuser=superuser,
            password=password,
        )
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _ensure_totp(user: User) -> str:
    secret = demo_totp_secret(user.email)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return secret


def ensure_superuser() -> tuple[str, str, str, str]:
    with scopes_disabled():
        user = _login(
            "admin@marktplatz.example",
            "Platform",
            "Admin",
            superuser=True,
            password=make_password(DEMO_PASSWORD),
        )
        secret = _ensure_totp(user)
    return ("(all)", "platform superuser", user.email, f"2FA secret {secret}")


def seed(*, city, town, rng, out, citizens: int = 500, **_options) -> None:
    password = make_password(DEMO_PASSWORD)
    merchant = Merchant.objects.filter(status=Merchant.Status.APPROVED).order_by("code").first()
    department = Department.objects.order_by("name").first()
    employer = Employer.objects.order_by("name").first()
    plan = (
        (RoleKind.OPERATOR_ADMIN, "operator", {}),
        (RoleKind.OPERATOR_STAFF, "staff", {}),
        (RoleKind.MERCHANT_OWNER, "owner", {"merchant": merchant}),
        (RoleKind.MERCHANT_MANAGER, "manager", {"merchant": merchant}),
        (RoleKind.MERCHANT_CASHIER, "cashier", {"merchant": merchant}),
        (RoleKind.CITY_STAFF, "city", {"department": department}),
        (RoleKind.EMPLOYER_ADMIN, "employer", {"employer": employer}),
        (RoleKind.CITIZEN, "citizen", {}),
    )
    for kind, local, target in plan:
        email = f"{local}@{town.slug}.example"
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SURNAMES)
        user = _login(email, first, last, password=password)
        Role.objects.get_or_create(city=city, user=user, kind=kind, **target)
        note = ""
        if kind in TWO_FACTOR_KINDS:
            note = f"2FA secret {_ensure_totp(user)}"
        where = next(iter(target.values())) if target else None
        label = RoleKind(kind).label
        out.append((town.name, str(label), email, note + (f" ({where})" if where else "")))
    _seed_citizens(city=city, town=town, rng=rng, count=citizens)


def _seed_citizens(*, city, town, rng, count: int) -> None:
    """Citizens without a password (they log in with an e-mailed code), made in bulk."""
    wanted = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        local = f"{first}.{last}.{index}".lower()
        local = local.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
        wanted.append((f"{local}@{town.slug}.example", first, last))
    existing = set(
        User.objects.filter(email__in=[w[0] for w in wanted]).values_list("email", flat=True)
    )
    new_users = [
        User(email=email, first_name=first, last_name=last, password="!demo-no-password")
        for email, first, last in wanted
        if email not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=500)
    users = list(User.objects.filter(email__in=[w[0] for w in wanted]))
    have_address = set(
        EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True)
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in users
            if u.pk not in have_address
        ],
        batch_size=500,
    )
    have_role = set(
        Role.objects.filter(kind=RoleKind.CITIZEN, user__in=users).values_list("user_id", flat=True)
    )
    Role.objects.bulk_create(
        [Role(city=city, user=u, kind=RoleKind.CITIZEN) for u in users if u.pk not in have_role],
        batch_size=500,
    )
