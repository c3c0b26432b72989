from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from marktplatz.accounts.models import OPERATOR_KINDS, RoleKind
from marktplatz.accounts.permissions import money_fields_lock, role_required
from marktplatz.cities import services
from marktplatz.cities.forms import CitySettingsForm, DepartmentForm
from marktplatz.cities.models import City, Department


@cache_control(max_age=300, public=True)
def brand_css(request):
    """The town's colours as CSS custom properties (a file, so the CSP needs no inline styles)."""
    city = request.city
    primary = city.primary_color if city else "#1d4f91"
    accent = city.accent_color if city else "#b3261e"
    css = f":root{{--brand:{primary};--accent:{accent};}}\n"
    return HttpResponse(css, content_type="text/css; charset=utf-8")


@role_required(RoleKind.OPERATOR_ADMIN)
def settings_view(request):
    # A copy: a rejected form must not change the town shown in the page header.
    city = City.objects.get(pk=request.city.pk)
    form = CitySettingsForm(request.POST or None, request.FILES or None, instance=city)
    money_fields_lock(
        request,
        form,
        ("bank_account_holder", "bank_iban", "bank_bic", "sepa_creditor_id"),
        "bank_details.change",
    )
    if request.method == "POST" and form.is_valid():
        services.city_update(
            city=form.save(commit=False), actor=request.user, changed=form.changed_data
        )
        messages.success(request, _("The town's settings are saved."))
        return redirect("town_settings")
    return render(request, "cities/settings.html", {"form": form})


@role_required(*OPERATOR_KINDS)
def departments(request):
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_create(
                city=request.city,
                actor=request.user,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except IntegrityError:
            form.add_error("name", _("A department with this name already exists."))
        else:
            messages.success(request, _("The department is added."))
            return redirect("departments")
    return render(
        request,
        "cities/departments.html",
        {"form": form, "departments": Department.objects.order_by("name")},
    )
