"""The account page, invitations and role management."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts import selectors, services
from marktplatz.accounts.forms import InvitationForm
from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, role_required
from marktplatz.merchants.selectors import access_merchant


@login_required
def me(request):
    return render(
        request,
        "accounts/me.html",
        {
            "towns": selectors.user_towns(user=request.user),
            "has_totp": selectors.user_has_totp(user=request.user),
            "needs_totp": selectors.user_needs_two_factor(user=request.user),
        },
    )


def _accept_url_builder(request):
    def build(token: str) -> str:
        return request.build_absolute_uri(reverse("invitation_accept", args=[token]))

    return build


def _invite(request, *, merchant=None):
    kinds = selectors.invitable_kinds(user=request.user, merchant=merchant)
    if not kinds:
        raise PermissionDenied
    form = InvitationForm(request.POST or None, kinds=kinds, town_level=merchant is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invitation_create(
                city=request.city,
                actor=request.user,
                email=data["email"],
                kind=data["kind"],
                merchant=merchant,
                department=data.get("department"),
                employer=data.get("employer"),
                accept_url_for=_accept_url_builder(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The invitation is on its way to %(email)s.") % {"email": data["email"]}
            )
            if merchant is not None:
                return redirect("merchant_staff", code=merchant.code)
            return redirect("town_staff")
    return render(request, "accounts/invite.html", {"form": form, "merchant": merchant})


@role_required(*OPERATOR_KINDS)
def invite(request):
    return _invite(request)


@city_required
@login_required
def merchant_invite(request, code):
    merchant = access_merchant(user=request.user, code=code, manage=True)
    return _invite(request, merchant=merchant)


@role_required(*OPERATOR_KINDS)
def town_staff(request):
    return render(
        request,
        "accounts/town_staff.html",
        {
            "staff": selectors.town_staff(),
            "invitations": selectors.open_invitations(),
            "can_invite": bool(selectors.invitable_kinds(user=request.user)),
        },
    )


@require_POST
@city_required
@login_required
def role_revoke(request, code):
    role = selectors.access_role(user=request.user, code=code)
    if role.user_id == request.user.pk:
        messages.error(request, _("You cannot remove your own role."))
    else:
        services.role_revoke(role=role, actor=request.user)
        messages.success(
            request,
            _("%(email)s no longer has the role %(role)s.")
            % {"email": role.user.email, "role": role.get_kind_display()},
        )
    if role.merchant is not None:
        return redirect("merchant_staff", code=role.merchant.code)
    return redirect("town_staff")


@require_POST
@city_required
@login_required
def invitation_revoke(request, code):
    invitation = selectors.access_invitation(user=request.user, code=code)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation is withdrawn."))
    if invitation.merchant is not None:
        return redirect("merchant_staff", code=invitation.merchant.code)
    return redirect("town_staff")


def invitation_accept(request, token):
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None or request.city is None or invitation.city_id != request.city.pk:
        raise Http404("no such invitation")
    error = None
    if request.method == "POST" and request.user.is_authenticated:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request,
                _("Welcome! You are now %(role)s in %(town)s.")
                % {"role": invitation.get_kind_display(), "town": invitation.city.name},
            )
            return redirect("home")
    return render(
        request,
        "accounts/invitation.html",
        {"invitation": invitation, "error": error, "token": token},
    )
