"""Merchant directory (public), self-signup, the merchant's own pages and the operator's."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, money_fields_lock, role_required
from marktplatz.accounts.selectors import (
    invitable_kinds,
    is_operator,
    manages_business,
    merchant_role,
    open_invitations,
    staff_of_merchant,
)
from marktplatz.merchants import selectors, services
from marktplatz.merchants.forms import DirectoryFilterForm, EmployerForm, MerchantForm, RejectForm
from marktplatz.merchants.hours import hours_rows

PAGE_SIZE = 20


@city_required
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    query = category = ""
    if form.is_valid():
        query, category = form.cleaned_data["q"], form.cleaned_data["category"]
    merchants = selectors.merchants_public(query=query, category=category)
    page = Paginator(merchants, PAGE_SIZE).get_page(request.GET.get("page"))
    # Every match with a position goes on the map (the list below is paged).
    points = [
        selectors.map_point(m)
        for m in merchants.filter(latitude__isnull=False, longitude__isnull=False).only(
            "name", "latitude", "longitude", "code", "category"
        )
    ]
    template = "merchants/_directory_results.html" if request.htmx else "merchants/directory.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query,
            "points": points,
            "tile_url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_ATTRIBUTION,
        },
    )


@city_required
@login_required
def signup(request):
    form = MerchantForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        form.instance.city = request.city
        try:
            merchant = services.merchant_signup(
                city=request.city,
                user=request.user,
                merchant=form.save(commit=False),
                review_url=request.build_absolute_uri(
                    reverse("operator_merchant", args=[form.instance.code])
                ),
            )
        except IntegrityError:
            form.add_error("name", _("A business with this name is already registered here."))
        else:
            messages.success(
                request,
                _("Thank you! %(name)s is registered and waits for the town's approval.")
                % {"name": merchant.name},
            )
            return redirect("merchant_home", code=merchant.code)
    return render(request, "merchants/signup.html", {"form": form})


@city_required
@login_required
def merchant_home(request, code):
    merchant = selectors.access_merchant(user=request.user, code=code)
    role = merchant_role(user=request.user, merchant=merchant)
    # Cashiers book at the till; the profile, staff and integrations are not theirs.
    can_manage = role is None or manages_business(role)  # None: the operator
    return render(
        request,
        "merchants/merchant_home.html",
        {
            "merchant": merchant,
            "hours": hours_rows(merchant.opening_hours),
            "can_manage": can_manage,
        },
    )


@city_required
@login_required
def merchant_edit(request, code):
    merchant = selectors.access_merchant(user=request.user, code=code, manage=True)
    form = MerchantForm(request.POST or None, request.FILES or None, instance=merchant)
    money_fields_lock(request, form, ("account_holder", "iban", "bic"), "bank_details.change")
    if request.method == "POST" and form.is_valid():
        try:
            services.merchant_update(
                merchant=form.save(commit=False),
                actor=request.user,
                changed=form.changed_profile_fields(),
            )
        except IntegrityError:
            form.add_error("name", _("A business with this name is already registered here."))
        else:
            messages.success(request, _("The profile is saved."))
            return redirect("merchant_home", code=merchant.code)
    return render(request, "merchants/edit.html", {"form": form, "merchant": merchant})


@city_required
@login_required
def merchant_staff(request, code):
    merchant = selectors.access_merchant(user=request.user, code=code, manage=True)
    return render(
        request,
        "merchants/staff.html",
        {
            "merchant": merchant,
            "staff": staff_of_merchant(merchant=merchant),
            "invitations": open_invitations(merchant=merchant),
            "can_invite": bool(invitable_kinds(user=request.user, merchant=merchant)),
        },
    )


@role_required(*OPERATOR_KINDS)
def operator_merchants(request):
    status = request.GET.get("status", "")
    if status not in {"", *selectors.Merchant.Status.values}:
        status = ""
    query = request.GET.get("q", "")[:100]
    page = Paginator(
        selectors.merchants_for_operator(status=status, query=query), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "merchants/operator_list.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": selectors.Merchant.Status.choices,
            "counts": selectors.merchant_counts(),
        },
    )


@role_required(*OPERATOR_KINDS)
def operator_merchant_new(request):
    form = MerchantForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        form.instance.city = request.city
        try:
            merchant = services.merchant_create(
                city=request.city, actor=request.user, merchant=form.save(commit=False)
            )
        except IntegrityError:
            form.add_error("name", _("A business with this name is already registered here."))
        else:
            messages.success(
                request,
                _("%(name)s is onboarded. Invite its owner next.") % {"name": merchant.name},
            )
            return redirect("merchant_staff", code=merchant.code)
    return render(request, "merchants/operator_new.html", {"form": form})


@city_required
@login_required
def operator_merchant(request, code):
    # Look the object up first: another town's code is a 404 for everybody.
    merchant = selectors.merchant_by_code_for_operator(code=code)
    if not is_operator(user=request.user):
        raise PermissionDenied
    reject_form = RejectForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "approve" and merchant.status != merchant.Status.APPROVED:
            services.merchant_approve(
                merchant=merchant,
                actor=request.user,
                url=request.build_absolute_uri(reverse("merchant_home", args=[merchant.code])),
            )
            messages.success(request, _("%(name)s is approved.") % {"name": merchant.name})
            return redirect("operator_merchant", code=merchant.code)
        if action == "reject" and reject_form.is_valid():
            services.merchant_reject(
                merchant=merchant, actor=request.user, reason=reject_form.cleaned_data["reason"]
            )
            messages.success(request, _("%(name)s is rejected.") % {"name": merchant.name})
            return redirect("operator_merchant", code=merchant.code)
        if action in {"activate", "deactivate"} and merchant.status == merchant.Status.APPROVED:
            services.merchant_set_active(
                merchant=merchant, actor=request.user, active=action == "activate"
            )
            return redirect("operator_merchant", code=merchant.code)
        if action not in {"reject"}:
            messages.error(request, _("This action is not possible for this business."))
    return render(
        request,
        "merchants/operator_detail.html",
        {
            "merchant": merchant,
            "hours": hours_rows(merchant.opening_hours),
            "reject_form": reject_form,
            "staff": staff_of_merchant(merchant=merchant),
        },
    )


@role_required(*OPERATOR_KINDS)
def operator_employers(request):
    form = EmployerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employer = services.employer_create(
                city=request.city,
                actor=request.user,
                **form.cleaned_data,
            )
        except IntegrityError:
            form.add_error("name", _("An employer with this name already exists."))
        else:
            messages.success(request, _("%(name)s is added.") % {"name": employer.name})
            return redirect("operator_employers")
    page = Paginator(selectors.employers(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "merchants/operator_employers.html", {"form": form, "page": page})
