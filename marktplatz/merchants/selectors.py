"""Reading merchants and employers of the active city."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from marktplatz.accounts.selectors import is_operator, manages_business, merchant_role
from marktplatz.merchants.models import Employer, Merchant


def merchants_public(*, query: str = "", category: str = "") -> QuerySet[Merchant]:
    """Merchants a visitor sees: approved and active."""
    qs = Merchant.objects.filter(status=Merchant.Status.APPROVED, is_active=True)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("name")


def map_point(merchant: Merchant) -> dict[str, Any]:
    """A business with a position, as the map script (static/marktplatz/map.js) reads it."""
    return {
        "name": merchant.name,
        "lat": float(merchant.latitude),
        "lon": float(merchant.longitude),
        "url": reverse("merchant_detail", args=[merchant.code]),
        "category": str(merchant.get_category_display()),
    }


def merchants_for_operator(*, status: str = "", query: str = "") -> QuerySet[Merchant]:
    qs = Merchant.objects.all()
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(name__icontains=query)
    return qs.order_by("status", "name")


def access_merchant(*, user: Any, code: str, manage: bool = False) -> Merchant:
    """The merchant ``code`` of the active city if ``user`` works there or is the operator.

    ``manage=True`` also requires owner or manager rights (cashiers may only book).
    Another town's merchant, or one the user has nothing to do with, is a 404.
    """
    merchant = Merchant.objects.filter(code=code).first()
    if merchant is None:
        raise Http404("no such merchant")
    if is_operator(user=user):
        return merchant
    role = merchant_role(user=user, merchant=merchant)
    if role is None:
        raise Http404("no such merchant")
    if manage and not manages_business(role):
        raise PermissionDenied
    return merchant


def public_merchant(*, code: str) -> Merchant:
    merchant = merchants_public().filter(code=code).first()
    if merchant is None:
        raise Http404("no such merchant")
    return merchant


def employers() -> QuerySet[Employer]:
    return Employer.objects.order_by("name")


def merchant_counts() -> dict[str, int]:
    from django.db.models import Count

    rows = Merchant.objects.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    counts["active"] = Merchant.objects.filter(is_active=True).count()
    return counts


def merchant_by_code_for_operator(*, code: str) -> Merchant:
    merchant = Merchant.objects.filter(code=code).first()
    if merchant is None:
        raise Http404("no such merchant")
    return merchant
