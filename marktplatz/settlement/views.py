"""Statements for the merchant (list, lines with the drill-down, CSV, PDF) and the
operator's settlement page (settle a month that is over, see every statement)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marktplatz.accounts.models import OPERATOR_KINDS, RoleKind
from marktplatz.accounts.permissions import city_required, money_action, role_required
from marktplatz.core.camt import MAX_BYTES, StatementError
from marktplatz.core.csvexport import CsvExport, csv_format
from marktplatz.core.months import month_before
from marktplatz.merchants.selectors import access_merchant
from marktplatz.purses import services as purse_services
from marktplatz.settlement import bank, payments, selectors, services
from marktplatz.settlement.forms import MoneyRulesForm
from marktplatz.settlement.models import PaymentFile, SettlementRun, Statement
from marktplatz.settlement.printing import statement_pdf
from marktplatz.vouchers import services as voucher_services

LINE_LABELS = {
    "voucher.settled": gettext_lazy("City vouchers taken"),
    "fee.voucher_commission": gettext_lazy("Commission on vouchers"),
    "points.redeemed_value": gettext_lazy("Points customers paid with"),
    "points.issued_value": gettext_lazy("Points given out"),
    "fee.points": gettext_lazy("Fee on points given out"),
    "rewards.fulfilled_value": gettext_lazy("Rewards handed out for points"),
    "fee.monthly": gettext_lazy("Monthly fee"),
}


class MonthForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


def _labelled(statement: Statement) -> list[dict]:
    return [
        {**line, "label": LINE_LABELS.get(line["code"], line["code"])}
        for line in services.statement_lines(statement)
    ]


def _statement(request, code: str, number: str) -> Statement:
    merchant = access_merchant(user=request.user, code=code, manage=True)
    return selectors.access_statement(merchant=merchant, number=number)


@city_required
@login_required
def merchant_statements(request, code):
    merchant = access_merchant(user=request.user, code=code, manage=True)
    statements = Statement.objects.filter(merchant=merchant).order_by("-period_start")
    return render(
        request,
        "settlement/merchant_statements.html",
        {"merchant": merchant, "statements": statements},
    )


@city_required
@login_required
def statement_detail(request, code, number):
    statement = _statement(request, code, number)
    return render(
        request,
        "settlement/statement.html",
        {
            "statement": statement,
            "merchant": statement.merchant,
            "lines": _labelled(statement),
            **services.statement_items(statement),
        },
    )


@city_required
@login_required
def statement_csv(request, code, number):
    statement = _statement(request, code, number)
    export = CsvExport(
        city=request.city,
        filename=f"statement-{statement.merchant.code}-{statement.period_start:%Y-%m}.csv",
        format=csv_format(requested=request.GET.get("format"), city=request.city),
    )
    export.row([_("Section"), _("Date"), _("What"), _("Reference"), _("Amount"), _("Points")])
    for line in _labelled(statement):
        export.row(
            [_("Statement"), "", line["label"], line["transfer"], export.money(line["amount"]), ""]
        )
    items = services.statement_items(statement)
    for booking in items["bookings"]:
        export.row(
            [_("Booking"), export.when(booking.created_at), booking.get_kind_display(),
             booking.transaction.code, export.money(booking.purchase_minor), booking.points]
        )  # fmt: skip
    for payment in items["vouchers"]:
        export.row(
            [_("City voucher"), export.when(payment.created_at), _("City voucher"),
             payment.transaction.code, export.money(payment.amount_minor), ""]
        )  # fmt: skip
    export.row([_("Total"), "", _("Balance"), "", export.money(statement.net_minor), ""])
    return export.response


@city_required
@login_required
def statement_pdf_view(request, code, number):
    statement = _statement(request, code, number)
    response = HttpResponse(
        statement_pdf(statement=statement, lines=_labelled(statement)),
        content_type="application/pdf",
    )
    name = f"statement-{statement.merchant.code}-{statement.period_start:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@city_required
@login_required
def statement_invoice_view(request, code, number):
    statement = _statement(request, code, number)
    if statement.net_minor >= 0:
        raise Http404("nothing to invoice")
    response = HttpResponse(
        payments.statement_invoice_pdf(statement=statement, lines=_labelled(statement)),
        content_type="application/pdf",
    )
    name = f"invoice-{statement.merchant.code}-{statement.period_start:%Y-%m}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required(*OPERATOR_KINDS)
@money_action("settlement.run")
def operator_settlement(request):
    """Settle a month in two steps: the month chosen, then what will be paid out and
    collected per business, confirmed; then the month's statements and files."""
    last_month = month_before(timezone.localdate())
    form = MonthForm(request.POST or None, initial={"month": last_month})
    if request.method == "POST" and form.is_valid():
        month = form.cleaned_data["month"]
        try:
            if request.POST.get("confirm") != "yes":
                drafts = services.settlement_preview(city=request.city, month=month)
                return render(request, "settlement/confirm.html", _preview(month, drafts))
            written = services.settle_month(city=request.city, month=month, actor=request.user)
        except services.MonthSettled as error:
            messages.info(request, str(error.message))
            return redirect(f"{request.path}?month={month:%Y-%m}")
        except (services.SettlementTooEarly, services.SettlementBeforeStart) as error:
            form.add_error("month", str(error.message))
        else:
            messages.success(
                request,
                _("%(count)s statement(s) written for %(month)s.")
                % {"count": len(written), "month": f"{month:%m/%Y}"},
            )
            return redirect(f"{request.path}?month={month:%Y-%m}")
    shown = MonthForm(request.GET) if "month" in request.GET else None
    month = shown.cleaned_data["month"] if shown is not None and shown.is_valid() else last_month
    statements = list(
        Statement.objects.filter(period_start=month)
        .select_related("merchant", "payment")
        .order_by("merchant__name")
    )
    run = SettlementRun.objects.filter(month=month).first()
    files = {f.kind: f for f in PaymentFile.objects.filter(run=run)} if run else {}
    collected = set(files["collections"].statement_ids) if "collections" in files else None
    for statement in statements:
        statement.by_debit = (
            statement.pk in collected
            if collected is not None
            else payments.collected_by_debit(statement)
        )
        # Paid by transfer after the direct-debit file was made: charged twice.
        statement.paid_twice = statement.by_debit and hasattr(statement, "payment")
    return render(
        request,
        "settlement/operator.html",
        {
            "form": form,
            "month": month,
            "run": run,
            "files": files,
            "open_months": services.months_open(city=request.city)[-12:],
            "statements": statements,
            "payout": sum(s.net_minor for s in statements if s.net_minor > 0),
            "without_iban": [s.merchant for s in statements if s.net_minor and not s.merchant.iban],
            "collect": -sum(s.net_minor for s in statements if s.net_minor < 0),
        },
    )


def _preview(month: dt.date, drafts: list) -> dict:
    rows = [
        {"merchant": d.merchant, "payout": max(d.net_minor, 0), "collect": max(-d.net_minor, 0)}
        for d in sorted(drafts, key=lambda draft: draft.merchant.name.lower())
    ]
    return {
        "month": month,
        "rows": rows,
        "payout": sum(d.net_minor for d in drafts if d.net_minor > 0),
        "payout_count": sum(d.net_minor > 0 for d in drafts),
        "collect": -sum(d.net_minor for d in drafts if d.net_minor < 0),
        "collect_count": sum(d.net_minor < 0 for d in drafts),
        "without_iban": [d.merchant for d in drafts if d.net_minor and not d.merchant.iban],
    }


@role_required(*OPERATOR_KINDS)
@money_action("payment_file.download", methods=())
def operator_payment_file(request, month, kind):
    """The run's payment file: made on the first download, the same bytes after."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise Http404("no such month") from None
    if kind not in payments.MAKERS:
        raise Http404("no such file")
    back = f"{reverse('operator_settlement')}?month={month}"
    run = SettlementRun.objects.filter(month=first).first()
    if run is None:
        messages.error(request, _("This month is not settled yet."))
        return redirect(back)
    try:
        stored = payments.payment_file_for(run=run, kind=kind, actor=request.user)
    except payments.PaymentFileError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    if stored is None:
        messages.info(request, _("There is nothing to pay or collect in this file."))
        return redirect(back)
    response = HttpResponse(bytes(stored.xml), content_type="application/xml")
    response["Content-Disposition"] = (
        f'attachment; filename="{kind}-{request.city.slug}-{month}-{stored.message_id}.xml"'
    )
    response["ETag"] = f'"{stored.checksum}"'
    return response


class BankStatementForm(forms.Form):
    statement = forms.FileField(
        label=gettext_lazy("Bank statement (camt.053 XML)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )


OUTCOMES = {
    "paid": gettext_lazy("Paid now"),
    "already_paid": gettext_lazy("Was paid already"),
    "short": gettext_lazy("Less than the invoice: not booked"),
    "currency": gettext_lazy("Other currency: not booked"),
    "unmatched": gettext_lazy("No open invoice with this reference"),
}


@role_required(*OPERATOR_KINDS)
@money_action("bank_statement.import")
def operator_bank_import(request):
    form = BankStatementForm()
    results = None
    if request.method == "POST":
        form = BankStatementForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["statement"]
            try:
                results = bank.bank_statement_import(
                    city=request.city, data=upload.read(MAX_BYTES + 1), file_name=upload.name
                )
            except StatementError as error:
                form.add_error("statement", str(error))
            else:
                for result in results:
                    result.label = OUTCOMES[result.outcome]
                paid = sum(result.outcome == "paid" for result in results)
                messages.success(
                    request,
                    _("%(credits)d credits read, %(paid)d invoices paid now.")
                    % {"credits": len(results), "paid": paid},
                )
    return render(request, "settlement/bank_import.html", {"form": form, "results": results})


PERCENT_FIELDS = {
    "points_fee_member": "points_fee_bp_member",
    "points_fee_other": "points_fee_bp_other",
    "voucher_commission_member": "voucher_commission_bp_member",
    "voucher_commission_other": "voucher_commission_bp_other",
}


@role_required(RoleKind.OPERATOR_ADMIN)
@money_action("money_rules.change")
def operator_money_rules(request):
    voucher_rules = voucher_services.rules_for(city=request.city)
    fees = services.rules_for(city=request.city)
    benefit = purse_services.rules_for(city=request.city)
    initial = {
        "validity_years": voucher_rules.validity_years,
        "min_value": voucher_rules.min_value_minor,
        "max_value": voucher_rules.max_value_minor,
        "monthly_fee_member": fees.monthly_fee_member,
        "monthly_fee_other": fees.monthly_fee_other,
        "benefit_limit": benefit.monthly_limit_minor,
        **{name: Decimal(getattr(fees, field)) / 100 for name, field in PERCENT_FIELDS.items()},
    }
    form = MoneyRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.money_rules_set(
            city=request.city,
            actor=request.user,
            values={
                **{key: data[key] for key in initial if key not in PERCENT_FIELDS},
                **{PERCENT_FIELDS[name]: int(data[name] * 100) for name in PERCENT_FIELDS},
            },
        )
        messages.success(request, _("The rules are saved. They apply from now on."))
        return redirect("operator_money_rules")
    return render(request, "settlement/money_rules.html", {"form": form})
