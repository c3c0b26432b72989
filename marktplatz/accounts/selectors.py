"""Reading accounts and roles; the access helpers every view goes through."""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.mfa.models import Authenticator

from marktplatz.accounts.models import (
    MERCHANT_KINDS,
    OPERATOR_KINDS,
    TWO_FACTOR_KINDS,
    Invitation,
    Role,
    RoleKind,
    User,
)
from marktplatz.core.tenancy import scopes_disabled


def roles_for(*, user: Any) -> list[Role]:
    """The user's roles in the active city (empty for anonymous visitors)."""
    if not user.is_authenticated:
        return []
    cache = getattr(user, "_mp_roles", None)
    if cache is None:
        cache = list(
            Role.objects.filter(user=user).select_related("merchant", "department", "employer")
        )
        user._mp_roles = cache
    return cache


def role_kinds(*, user: Any) -> set[str]:
    return {role.kind for role in roles_for(user=user)}


def is_operator(*, user: Any, admin_only: bool = False) -> bool:
    kinds = role_kinds(user=user)
    if admin_only:
        return RoleKind.OPERATOR_ADMIN in kinds
    return bool(kinds & OPERATOR_KINDS)


def manages_business(role: Role | None) -> bool:
    """The one rule of a business's roles: owners and managers keep its settings, offers,
    products, newsletter and staff; cashiers serve customers (till, inbox, orders)."""
    return role is not None and role.kind != RoleKind.MERCHANT_CASHIER


def merchant_role(*, user: Any, merchant: Any) -> Role | None:
    for role in roles_for(user=user):
        if role.merchant_id == merchant.pk:
            return role
    return None


def user_towns(*, user: User) -> list[tuple[Any, list[Role]]]:
    """Every town where the user holds a role, with those roles (across all towns)."""
    with scopes_disabled():
        roles = list(
            Role.objects.filter(user=user)
            .select_related("city", "merchant", "department", "employer")
            .order_by("city__name", "kind")
        )
    towns: dict[int, tuple[Any, list[Role]]] = {}
    for role in roles:
        towns.setdefault(role.city_id, (role.city, []))[1].append(role)
    return list(towns.values())


def user_needs_two_factor(*, user: User) -> bool:
    """Whether any role of the user, in any town, requires a second factor."""
    if user.is_superuser:
        return True
    with scopes_disabled():
        return Role.objects.filter(user=user, kind__in=TWO_FACTOR_KINDS).exists()


def user_has_totp(*, user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation of a token, in any town: the link itself names the town."""
    with scopes_disabled():
        return (
            Invitation.objects.select_related("city", "merchant", "department", "employer")
            .filter(token_hash=token_hash(token))
            .first()
        )


def invitable_kinds(*, user: Any, merchant: Any = None) -> list[str]:
    """Role kinds the user may hand out in the active city (for ``merchant`` if given)."""
    kinds = role_kinds(user=user)
    if RoleKind.OPERATOR_ADMIN in kinds:
        allowed = set(RoleKind.values) - {RoleKind.CITIZEN}
    elif RoleKind.OPERATOR_STAFF in kinds:
        allowed = set(RoleKind.values) - OPERATOR_KINDS - {RoleKind.CITIZEN}
    else:
        allowed = set()
    if merchant is not None:
        allowed &= MERCHANT_KINDS
        role = merchant_role(user=user, merchant=merchant)
        if role is not None and role.kind == RoleKind.MERCHANT_OWNER:
            allowed |= MERCHANT_KINDS
        elif role is not None and role.kind == RoleKind.MERCHANT_MANAGER:
            allowed |= {RoleKind.MERCHANT_CASHIER}
    else:
        allowed -= MERCHANT_KINDS
    order = list(RoleKind.values)
    return sorted(allowed, key=order.index)


def staff_of_merchant(*, merchant: Any) -> list[Role]:
    return list(
        Role.objects.filter(merchant=merchant)
        .select_related("user")
        .order_by("kind", "user__email")
    )


def merchant_staff_ids(*, merchant: Any) -> list[int]:
    """The people with a role at the business (the ids, for notifying them)."""
    return list(Role.objects.filter(merchant=merchant).values_list("user_id", flat=True).distinct())


def town_staff() -> list[Role]:
    """Operator, city and employer roles of the active city (merchant staff excluded)."""
    return list(
        Role.objects.exclude(kind__in=[*MERCHANT_KINDS, RoleKind.CITIZEN])
        .select_related("user", "department", "employer")
        .order_by("kind", "user__email")
    )


def open_invitations(*, merchant: Any = None) -> list[Invitation]:
    from django.utils import timezone

    qs = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("merchant", "department", "employer")
    qs = qs.filter(merchant=merchant) if merchant is not None else qs.filter(merchant__isnull=True)
    return list(qs)


def access_role(*, user: Any, code: str) -> Role:
    """A role of the active city that ``user`` may hand out (and so take away), else 404."""
    from django.http import Http404

    role = Role.objects.select_related("user", "merchant").filter(code=code).first()
    if role is None or role.kind not in invitable_kinds(user=user, merchant=role.merchant):
        raise Http404("no such role")
    return role


def access_invitation(*, user: Any, code: str) -> Invitation:
    """An open invitation of the active city that ``user`` may withdraw, else 404."""
    from django.http import Http404

    invitation = Invitation.objects.select_related("merchant").filter(code=code).first()
    if (
        invitation is None
        or not invitation.is_open
        or invitation.kind not in invitable_kinds(user=user, merchant=invitation.merchant)
    ):
        raise Http404("no such invitation")
    return invitation
