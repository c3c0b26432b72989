"""Pages of the card purse: the employer's (employees, upload, monthly load, invoices,
payroll), the citizen's (the purse by month, loading a voucher), the cashier's (paying
with the card) and the operator's (employer invoices)."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, money_action, role_required
from marktplatz.core.csvexport import CsvExport, csv_format
from marktplatz.core.money import MoneyField
from marktplatz.core.months import month_before
from marktplatz.core.throttle import TooManyAttempts, merchant_guard
from marktplatz.ledger.errors import LedgerError
from marktplatz.loyalty import selectors as loyalty_selectors
from marktplatz.loyalty import services as loyalty
from marktplatz.loyalty.errors import CardNotFound
from marktplatz.loyalty.models import Card
from marktplatz.loyalty.views import join_page
from marktplatz.merchants.selectors import access_merchant
from marktplatz.purses import imports, invoicing, services
from marktplatz.purses.models import BenefitLoad, Employee, EmployeeImport, EmployerInvoice
from marktplatz.purses.selectors import (
    access_employee,
    access_employee_import,
    access_employer,
    access_employer_invoice,
)
from marktplatz.vouchers.forms import PaidForm
from marktplatz.vouchers.throttle import count_attempt, over_limit
from marktplatz.vouchers.throttle import logger as guessing

# Loading a voucher by its code: this many tries per person and window.
LOAD_TRIES, LOAD_WINDOW = 10, 600


class UploadForm(forms.Form):
    employees = forms.FileField(
        label=gettext_lazy("Employee list (CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class LoadForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class VoucherCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Voucher code"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CardPaymentForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    card = forms.CharField(
        label=gettext_lazy("Card number or scanned code"),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = MoneyField(label=gettext_lazy("Amount to pay from the card's purse"))


# Employer --------------------------------------------------------------------------------


@city_required
@login_required
def employer_home(request, code):
    employer = access_employer(user=request.user, code=code)
    upload = UploadForm()
    if request.method == "POST":
        upload = UploadForm(request.POST, request.FILES)
        if upload.is_valid():
            file = upload.cleaned_data["employees"]
            try:
                job = imports.import_start(
                    employer=employer,
                    actor=request.user,
                    file_name=file.name,
                    data=file.read(imports.MAX_BYTES + 1),
                )
            except imports.ImportRefused as error:
                upload.add_error("employees", str(error))
            else:
                return redirect("employer_import", code=employer.code, job=job.code)
    month = services.month_of(city=request.city)
    employees = Employee.objects.filter(employer=employer).select_related("card")
    loaded = {
        row["employee_id"]: row["amount"]
        for row in BenefitLoad.objects.filter(employer=employer, month=month)
        .values("employee_id")
        .annotate(amount=Sum("amount_minor"))
    }
    page = Paginator(employees.order_by("last_name", "first_name", "pk"), 50).get_page(
        request.GET.get("page")
    )
    for employee in page.object_list:
        employee.loaded = loaded.get(employee.pk, 0)
    months = (
        BenefitLoad.objects.filter(employer=employer)
        .dates("month", "month", order="DESC")
        .distinct()
    )
    return render(
        request,
        "purses/employer.html",
        {
            "employer": employer,
            "upload": upload,
            "month": month,
            "limit": services.rules_for(city=request.city).monthly_limit_minor,
            "page": page,
            "employee_count": employees.count(),
            "months": months[:24],
            "invoices": EmployerInvoice.objects.filter(employer=employer).order_by("-month"),
            "imports": EmployeeImport.objects.filter(employer=employer).order_by("-created_at")[:5],
        },
    )


@city_required
@login_required
@require_POST
def employer_employee_active(request, code, employee):
    """Stop or resume the benefit for one employee (e.g. someone who left)."""
    employer = access_employer(user=request.user, code=code)
    found = access_employee(employer=employer, code=employee)
    found = services.employee_active_set(
        employee=found, is_active=not found.is_active, actor=request.user
    )
    messages.success(
        request,
        (_("%(name)s gets the benefit again.") if found.is_active
         else _("%(name)s gets no more benefit until resumed.")) % {"name": found},
    )  # fmt: skip
    return redirect("employer_home", code=employer.code)


@city_required
@login_required
def employer_import(request, code, job):
    employer = access_employer(user=request.user, code=code)
    found = access_employee_import(employer=employer, code=job)
    template = "purses/import_status.html" if request.htmx else "purses/import.html"
    return render(request, template, {"employer": employer, "job": found})


@city_required
@login_required
def employer_load(request, code):
    """GET: what the month's load would put on each card, to confirm. POST (the
    confirmation): load it; the same confirmation sent again answers as the first."""
    employer = access_employer(user=request.user, code=code)
    month = services.month_of(city=request.city)
    if request.method != "POST":
        plan = services.benefits_preview(employer=employer)
        pending = [outcome for outcome in plan if outcome.pending]
        return render(
            request,
            "purses/load_confirm.html",
            {
                "employer": employer,
                "month": month,
                "plan": plan,
                "count": len(pending),
                "total": sum(outcome.amount_minor for outcome in pending),
                "load_form": LoadForm(initial={"key": uuid.uuid4().hex}),
            },
        )
    form = LoadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please try again."))
        return redirect("employer_load", code=employer.code)
    outcomes = services.benefits_load(
        employer=employer, run_key=form.cleaned_data["key"], actor=request.user
    )
    return render(
        request,
        "purses/load_result.html",
        {
            "employer": employer,
            "outcomes": outcomes,
            "total": sum(outcome.amount_minor for outcome in outcomes),
            "month": month,
        },
    )


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise Http404("no such month") from None


@city_required
@login_required
def employer_payroll(request, code, month):
    employer = access_employer(user=request.user, code=code)
    first = _month(month)
    export = CsvExport(
        city=request.city,
        filename=f"payroll-{employer.code}-{first:%Y-%m}.csv",
        format=csv_format(requested=request.GET.get("format"), city=request.city),
    )
    export.row(
        [_("Personnel number"), _("Last name"), _("First name"), _("Month"),
         _("Benefit in kind"), _("Currency")]
    )  # fmt: skip
    for row in services.payroll_rows(employer=employer, month=first):
        employee = row["employee"]
        export.row(
            [employee.personnel_number, employee.last_name, employee.first_name,
             f"{first:%Y-%m}", export.money(row["amount"]), request.city.currency]
        )  # fmt: skip
    return export.response


@city_required
@login_required
def employer_invoice_pdf(request, code, invoice):
    employer = access_employer(user=request.user, code=code)
    found = access_employer_invoice(employer=employer, code=invoice)
    response = HttpResponse(invoicing.employer_invoice_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{found}.pdf"'
    return response


# Operator -------------------------------------------------------------------------------


@role_required(*OPERATOR_KINDS)
@money_action("invoice.mark_paid")
def operator_employer_invoices(request):
    last_month = month_before(services.month_of(city=request.city))
    if request.method == "POST" and request.POST.get("action") == "issue":
        try:
            issued = invoicing.employer_invoices_issue(city=request.city, month=last_month)
        except LedgerError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("%(count)d invoices written for %(month)s.")
                % {"count": len(issued), "month": f"{last_month:%m/%Y}"},
            )
        return redirect("operator_employer_invoices")
    if request.method == "POST":
        found = access_employer_invoice(code=request.POST.get("invoice", ""))
        form = PaidForm(request.POST)
        if form.is_valid():
            try:
                invoicing.employer_invoice_paid(
                    invoice=found,
                    amount_minor=form.cleaned_data["amount"],
                    note=_("Marked paid by %(user)s") % {"user": request.user.email},
                    actor=request.user,
                )
            except LedgerError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, _("Invoice %(number)s is paid.") % {"number": found})
        else:
            messages.error(request, "; ".join(form.errors.get("amount", [])))
        return redirect("operator_employer_invoices")
    invoices = EmployerInvoice.objects.select_related("employer").order_by("status", "-month")
    return render(
        request,
        "purses/operator_invoices.html",
        {
            "page": Paginator(invoices, 25).get_page(request.GET.get("page")),
            "last_month": last_month,
        },
    )


# Citizen --------------------------------------------------------------------------------


@city_required
@login_required
def card_purse(request):
    member = loyalty_selectors.member_of(city=request.city, user=request.user)
    if member is None:
        return join_page(request)
    card = member.cards.filter(status=Card.Status.ACTIVE).order_by("-created_at").first()
    form = VoucherCodeForm()
    status = 200
    if request.method == "POST" and card is not None:
        form = VoucherCodeForm(request.POST)
        scope = f"purse-load:{request.city.pk}:{request.user.pk}"
        if form.is_valid():
            if over_limit(scope, LOAD_TRIES):
                guessing.warning("voucher loading throttled for user %s", request.user.pk)
                form.add_error(None, _("Too many attempts. Please try again in a few minutes."))
                status = 429
            else:
                try:
                    services.voucher_load_onto_card(
                        city=request.city,
                        card=card,
                        code=form.cleaned_data["code"],
                        actor=request.user,
                    )
                except LedgerError as error:
                    count_attempt(scope, LOAD_WINDOW)
                    form.add_error("code", str(error.message))
                else:
                    messages.success(
                        request,
                        _("The voucher is on your card: pay with the card from now on."),
                    )
                    return redirect("card_purse")
    entries = services.purse_of(card=card) if card else []
    return render(
        request,
        "purses/card_purse.html",
        {
            "card": card,
            "form": form,
            "months": services.purse_by_month(card=card) if card else [],
            "gift": [entry for entry in entries if entry.month is None],
            "balance": sum(entry.balance for entry in entries),
        },
        status=status,
    )


# Cashier --------------------------------------------------------------------------------


@city_required
@login_required
def merchant_card_payment(request, code):
    merchant = access_merchant(user=request.user, code=code)
    result = None
    status = 200
    form = CardPaymentForm(initial={"key": uuid.uuid4().hex})
    if request.method == "POST":
        form = CardPaymentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Unknown cards count against the merchant, its API keys included.
                with merchant_guard(
                    merchant_id=merchant.pk, misses=(CardNotFound,), label="till page"
                ):
                    card = loyalty.card_lookup(city=request.city, identifier=data["card"])
                result = services.purse_pay(
                    city=request.city,
                    merchant=merchant,
                    card=card,
                    amount_minor=data["amount"],
                    idempotency_key=f"purse-pos:{merchant.pk}:{data['key']}",
                    actor=request.user,
                )
            except TooManyAttempts as error:
                form.add_error(None, str(error.message))
                status = 429
            except LedgerError as error:
                form.add_error(None, str(error.message))
            else:
                form = CardPaymentForm(initial={"key": uuid.uuid4().hex})
    return render(
        request,
        "purses/card_payment.html",
        {"merchant": merchant, "form": form, "result": result},
        status=status,
    )
