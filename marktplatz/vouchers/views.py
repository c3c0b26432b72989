"""Vouchers for the operator (products, counter sale, print), the merchant (redeem at the
till) and everybody (the balance check)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import (
    city_required,
    money_action_allowed,
    role_required,
    two_factor_refusal,
)
from marktplatz.accounts.selectors import is_operator
from marktplatz.core.clientip import client_address
from marktplatz.core.mail import send_mail_on_commit
from marktplatz.core.qr import qr_svg
from marktplatz.core.throttle import TooManyAttempts, merchant_guard
from marktplatz.ledger.errors import LedgerError
from marktplatz.merchants.selectors import access_merchant
from marktplatz.vouchers import payments, selectors, services
from marktplatz.vouchers.errors import VoucherNotFound
from marktplatz.vouchers.forms import (
    BalanceForm,
    OrderForm,
    PaidForm,
    ProductForm,
    RedeemForm,
    SaleForm,
)
from marktplatz.vouchers.models import Voucher, VoucherOrder, VoucherProduct, VoucherRedemption
from marktplatz.vouchers.printing import voucher_pdf
from marktplatz.vouchers.throttle import count_attempt, over_limit, used_up_as_unknown
from marktplatz.vouchers.throttle import logger as guessing

# The public balance check: this many lookups per address and window, then 429.
BALANCE_CHECKS, BALANCE_WINDOW = 10, 600
# Online orders (each sends an e-mail): this many per address and hour, then 429.
ORDERS_PER_HOUR = 10


@role_required(*OPERATOR_KINDS)
def operator_vouchers(request):
    product_form = ProductForm(prefix="product")
    sale_form = SaleForm(prefix="sale", city=request.city)
    if request.method == "POST" and "product-name" in request.POST:
        product_form = ProductForm(request.POST, prefix="product")
        if product_form.is_valid():
            services.product_create(
                city=request.city, product=product_form.save(commit=False), actor=request.user
            )
            messages.success(request, _("The voucher is on offer."))
            return redirect("operator_vouchers")
    elif request.method == "POST":
        if not money_action_allowed(request, "voucher.sell"):
            return two_factor_refusal(request, "voucher.sell")
        sale_form = SaleForm(request.POST, prefix="sale", city=request.city)
        if sale_form.is_valid():
            data = sale_form.cleaned_data
            try:
                voucher = services.voucher_sell(
                    product=data["product"],
                    value_minor=data["value"],
                    sold_by=request.user,
                    buyer_email=data["buyer_email"],
                )
            except LedgerError as error:
                sale_form.add_error(None, str(error.message))
            else:
                if voucher.buyer_email:
                    _mail_voucher(request, voucher)
                messages.success(request, _("The voucher is sold. Print it or hand over the code."))
                return redirect("operator_voucher", code=voucher.code)
    vouchers = Voucher.objects.select_related("product", "account").order_by("-created_at", "-pk")
    return render(
        request,
        "vouchers/operator.html",
        {
            "figures": services.voucher_figures(city=request.city),
            "products": VoucherProduct.objects.exclude(kind="benefit").order_by(
                "-is_active", "name"
            ),
            "page": Paginator(vouchers, 20).get_page(request.GET.get("page")),
            "product_form": product_form,
            "sale_form": sale_form,
        },
    )


def _mail_voucher(request, voucher: Voucher) -> None:
    context = {
        "voucher": voucher,
        "city": request.city,
        "check_url": request.build_absolute_uri(reverse("voucher_balance")),
    }
    send_mail_on_commit(
        subject=_("Your voucher for %(town)s") % {"town": request.city.name},
        body=render_to_string("vouchers/email/voucher.txt", context, request=request),
        to=[voucher.buyer_email],
    )


def _operator_voucher(request, code: str) -> Voucher:
    return selectors.access_voucher(user=request.user, code=code)


@city_required
@login_required
def operator_voucher(request, code):
    voucher = _operator_voucher(request, code)
    return render(
        request,
        "vouchers/voucher.html",
        {
            "voucher": voucher,
            "balance": services.balance_of(voucher),
            "qr": qr_svg(voucher.secret, scale=6),
            "redemptions": voucher.redemptions.select_related("merchant").order_by("-created_at"),
        },
    )


@city_required
@login_required
def operator_voucher_pdf(request, code, size):
    voucher = _operator_voucher(request, code)
    if size not in ("a6", "a4"):
        raise Http404("no such format")
    response = HttpResponse(
        voucher_pdf(voucher=voucher, page_format=size.upper()), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="voucher-{voucher.code}-{size}.pdf"'
    return response


@city_required
@login_required
def merchant_vouchers(request, code):
    merchant = access_merchant(user=request.user, code=code)
    result = None
    status = 200
    form = RedeemForm(initial={"key": uuid.uuid4().hex})
    if request.method == "POST":
        form = RedeemForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # Unknown codes count against the merchant, its API keys included.
                with (
                    merchant_guard(
                        merchant_id=merchant.pk, misses=(VoucherNotFound,), label="till page"
                    ),
                    used_up_as_unknown(),
                ):
                    result, _created = services.voucher_redeem(
                        city=request.city,
                        merchant=merchant,
                        code=data["code"],
                        amount_minor=data["amount"],
                        idempotency_key=f"voucher-pos:{merchant.pk}:{data['key']}",
                        actor=request.user,
                    )
            except TooManyAttempts as error:
                form.add_error(None, str(error.message))
                status = 429
            except LedgerError as error:
                form.add_error(None, str(error.message))
            else:
                result.balance = services.balance_of(result.voucher)
                form = RedeemForm(initial={"key": uuid.uuid4().hex})
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return render(
        request,
        "vouchers/merchant.html",
        {
            "merchant": merchant,
            "form": form,
            "result": result,
            "today": VoucherRedemption.objects.filter(
                merchant=merchant, created_at__gte=today
            ).order_by("-created_at"),
        },
        status=status,
    )


@city_required
def voucher_balance(request):
    form = BalanceForm(request.POST or None)
    found = None
    status = 200
    if request.method == "POST" and form.is_valid():
        scope = f"voucher-balance:{request.city.pk}:{client_address(request)}"
        if over_limit(scope, BALANCE_CHECKS):
            guessing.warning("balance checks throttled for %s", client_address(request))
            form.add_error(None, _("Too many attempts. Please try again in a few minutes."))
            status = 429
        else:
            count_attempt(scope, BALANCE_WINDOW)
            found = _usable(request, form.cleaned_data["code"])
            if found is None:
                guessing.info("balance check without result from %s", client_address(request))
                # The same answer for an unknown code and a used-up or expired voucher.
                form.add_error(None, _("No voucher with a balance under this code."))
    return render(request, "vouchers/balance.html", {"form": form, "found": found}, status=status)


def _usable(request, code: str) -> dict | None:
    try:
        voucher = services.voucher_lookup(city=request.city, code=code)
    except LedgerError:
        return None
    balance = services.balance_of(voucher)
    if balance <= 0 or voucher.expired or voucher.expires_at < timezone.now() or voucher.card_id:
        return None
    return {"balance": balance, "expires_at": voucher.expires_at}


# Online sale ----------------------------------------------------------------------------


@city_required
def voucher_shop(request):
    providers = payments.providers_for(city=request.city)
    form = OrderForm(request.POST or None, city=request.city, providers=providers)
    status = 200
    scope = f"voucher-order:{request.city.pk}:{client_address(request)}"
    if request.method == "POST" and over_limit(scope, ORDERS_PER_HOUR):
        form.is_valid()
        form.add_error(None, _("Too many orders from here. Please try again later."))
        status = 429
    elif request.method == "POST" and form.is_valid():
        count_attempt(scope, 3600)
        data = form.cleaned_data
        buyer = {
            name: data[name]
            for name in ("buyer_name", "buyer_email", "buyer_street", "buyer_postcode",
                         "buyer_town")
        }  # fmt: skip
        buyer["buyer_country"] = request.city.country
        try:
            order = payments.order_create(
                product=data["product"],
                value_minor=data["value"],
                quantity=data["quantity"],
                provider_key=data["provider"],
                buyer=buyer,
                order_url=lambda order: request.build_absolute_uri(
                    reverse("voucher_order", args=[order.code])
                ),
            )
        except LedgerError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("voucher_order", code=order.code)
    return render(
        request,
        "vouchers/shop.html",
        {"form": form, "providers": providers, "has_products": form.fields["product"].queryset},
        status=status,
    )


def _order(request, code: str) -> VoucherOrder:
    return selectors.access_order(code=code)


@city_required
def voucher_order(request, code):
    order = _order(request, code)
    return render(
        request,
        "vouchers/order.html",
        {
            "order": order,
            "invoice_number": payments.order_invoice_number(order),
            "instructions": payments.provider(order.provider).instructions(order)
            if order.status == VoucherOrder.Status.PENDING
            else "",
        },
    )


@city_required
def voucher_order_invoice(request, code):
    order = _order(request, code)
    response = HttpResponse(payments.order_invoice_pdf(order), content_type="application/pdf")
    number = payments.order_invoice_number(order)
    response["Content-Disposition"] = f'attachment; filename="invoice-{number}.pdf"'
    return response


@role_required(*OPERATOR_KINDS)
def operator_voucher_orders(request):
    status = request.GET.get("status", VoucherOrder.Status.PENDING)
    if status not in VoucherOrder.Status.values:
        status = VoucherOrder.Status.PENDING
    orders = VoucherOrder.objects.filter(status=status).select_related("product")
    return render(
        request,
        "vouchers/operator_orders.html",
        {
            "status": status,
            "statuses": VoucherOrder.Status.choices,
            "page": Paginator(orders.order_by("-number"), 25).get_page(request.GET.get("page")),
        },
    )


@city_required
@login_required
def operator_voucher_order(request, code):
    order = _order(request, code)  # another town's order: 404 for everybody
    if not is_operator(user=request.user):
        raise PermissionDenied
    if request.method == "POST" and not money_action_allowed(request, "order.mark_paid"):
        return two_factor_refusal(request, "order.mark_paid")
    form = PaidForm(initial={"amount": None})
    if request.method == "POST" and request.POST.get("action") == "cancel":
        if payments.order_cancel(order=order, actor=request.user):
            messages.success(request, _("The order is cancelled."))
        return redirect("operator_voucher_order", code=order.code)
    if request.method == "POST":
        form = PaidForm(request.POST)
        if form.is_valid():
            try:
                issued = payments.order_paid(
                    order=order,
                    amount_minor=form.cleaned_data["amount"],
                    note=_("Marked paid by %(user)s") % {"user": request.user.email},
                    actor=request.user,
                )
            except LedgerError as error:
                form.add_error("amount", str(error.message))
            else:
                if issued:
                    messages.success(request, _("Paid: the vouchers are issued and sent."))
                return redirect("operator_voucher_order", code=order.code)
    return render(
        request,
        "vouchers/operator_order.html",
        {
            "order": order,
            "form": form,
            "invoice_number": payments.order_invoice_number(order),
            "vouchers": order.vouchers.select_related("account").order_by("pk"),
        },
    )
