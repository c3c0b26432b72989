"""View decorators: a town is required, a login is required, a role is required, and
the one rule for actions that move money ("money actions" need a second factor)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marktplatz.accounts.selectors import role_kinds, user_has_totp


def city_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.city is None:
            raise Http404("no town")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*kinds: str):
    """Let the view run only for people holding one of ``kinds`` in the request's town."""

    def decorator(view):
        @wraps(view)
        @city_required
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not role_kinds(user=request.user) & set(kinds):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# --- Money actions ------------------------------------------------------------------------
#
# Every action that moves money or points, or changes what money is owed, is a "money
# action". The role a view requires still applies; on top, the person must have a TOTP
# authenticator and this session must have passed it (logged in with the code, or
# confirmed it again through allauth's re-authentication). Listed in docs/permissions.md.
MONEY_ACTIONS: dict[str, str] = {
    "points.adjust": _("Correct points on a card"),
    "card.block": _("Block or replace a card"),
    "settlement.run": _("Run the monthly settlement"),
    "payment_file.download": _("Download a payment file"),
    "order.mark_paid": _("Mark an online order paid or cancel it"),
    "invoice.mark_paid": _("Mark employer invoices paid or issue them"),
    "bank_statement.import": _("Import a bank statement"),
    "money_rules.change": _("Change the money rules or the card's earning rules"),
    "voucher.sell": _("Sell a voucher at the counter"),
    "bank_details.change": _("Change where money is paid to or collected from"),
}


def two_factor_passed(request: HttpRequest) -> bool:
    """Whether the person has TOTP set up and this session passed it."""
    user = request.user
    if not user.is_authenticated:
        return False
    cached = getattr(request, "_mp_two_factor_passed", None)
    if cached is None:
        records = get_authentication_records(request, user)
        cached = user_has_totp(user=user) and any(
            record.get("method") == "mfa" for record in records
        )
        request._mp_two_factor_passed = cached
    return cached


def money_action_allowed(request: HttpRequest, action: str) -> bool:
    """The one rule for money actions (see MONEY_ACTIONS); the view checks the role."""
    if action not in MONEY_ACTIONS:
        raise ValueError(f"unknown money action {action!r}")
    return two_factor_passed(request)


def two_factor_refusal(request: HttpRequest, action: str) -> HttpResponse:
    """A 403 page that says what is missing and links to setting it up."""
    has_totp = request.user.is_authenticated and user_has_totp(user=request.user)
    query = urlencode({"next": request.get_full_path()})
    link = reverse("mfa_reauthenticate" if has_totp else "mfa_activate_totp")
    return render(
        request,
        "accounts/two_factor_required.html",
        {"action": MONEY_ACTIONS[action], "has_totp": has_totp, "link": f"{link}?{query}"},
        status=403,
    )


def money_fields_lock(request: HttpRequest, form, fields: tuple[str, ...], action: str) -> None:
    """Show ``fields`` of ``form`` read-only (a posted value is ignored) unless the money
    rule holds, with the hint that a second factor is needed."""
    if money_action_allowed(request, action):
        return
    for name in fields:
        if name in form.fields:
            form.fields[name].disabled = True
            form.fields[name].help_text = _("Requires two-factor authentication.")


def money_action(action: str, *, methods: tuple[str, ...] = ("POST",)):
    """Refuse requests of ``methods`` (all methods if empty) unless the money rule holds.

    Put it below ``role_required``/``city_required`` so the role is checked first.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if (not methods or request.method in methods) and not money_action_allowed(
                request, action
            ):
                return two_factor_refusal(request, action)
            return view(request, *args, **kwargs)

        wrapper.money_action = action
        return wrapper

    return decorator
