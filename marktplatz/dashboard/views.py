"""Start pages: the town chooser, a town's welcome page and each role's start page."""

from __future__ import annotations

from django.shortcuts import render

from marktplatz.accounts.models import MERCHANT_KINDS, OPERATOR_KINDS, RoleKind
from marktplatz.accounts.selectors import roles_for
from marktplatz.cities.selectors import cities_active
from marktplatz.dashboard.selectors import town_key_figures
from marktplatz.merchants.selectors import merchant_counts, merchants_public
from marktplatz.newsletters.selectors import town_newsletter


def home(request):
    if request.city is None:
        return render(request, "dashboard/towns.html", {"towns": cities_active()})
    if not request.user.is_authenticated:
        return render(
            request,
            "dashboard/welcome.html",
            {"merchant_count": merchants_public().count(), "newsletter": town_newsletter()},
        )
    roles = roles_for(user=request.user)
    kinds = {role.kind for role in roles}
    context = {
        "roles": roles,
        "is_operator": bool(kinds & OPERATOR_KINDS),
        "is_operator_admin": RoleKind.OPERATOR_ADMIN in kinds,
        "merchant_roles": [r for r in roles if r.kind in MERCHANT_KINDS],
        "department_roles": [r for r in roles if r.kind == RoleKind.CITY_STAFF],
        "employer_roles": [r for r in roles if r.kind == RoleKind.EMPLOYER_ADMIN],
        "is_citizen": RoleKind.CITIZEN in kinds,
        "has_no_role": not roles,
    }
    if context["is_operator"]:
        context["counts"] = merchant_counts()
        context["figures"] = town_key_figures(city=request.city)
    return render(request, "dashboard/start.html", context)
