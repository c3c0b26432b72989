"""Click & collect and delivery pages: a business's order form, a citizen's orders, one
order (for its citizen and for the business's staff, with the steps each may take now),
the business's order board, products and order settings.

Every page works with plain form posts; the board refreshes itself with htmx."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.permissions import city_required
from marktplatz.accounts.selectors import manages_business
from marktplatz.chat import selectors as chat
from marktplatz.loyalty import selectors as loyalty
from marktplatz.loyalty.services import redemption_value_minor
from marktplatz.merchants import selectors as merchants
from marktplatz.notifications.paths import town_path
from marktplatz.notifications.services import notifications_read
from marktplatz.orders import selectors, services, workflow
from marktplatz.orders.forms import (
    ConfirmForm,
    OrderForm,
    OrderSettingsForm,
    PayForm,
    ProductForm,
    ReasonForm,
)
from marktplatz.orders.models import Order, Product
from marktplatz.purses.services import purse_balance

Side = Order.Side
PAGE_SIZE = 25


def _order_form_context(request, merchant, form=None) -> dict:
    now = timezone.now()
    rules = selectors.settings_of(merchant=merchant)
    slots = selectors.pickup_slots(merchant=merchant, now=now) if rules.pickup else []
    products = list(selectors.products_of(merchant=merchant))
    today = request.city.local_date(now)
    form = form or OrderForm(
        products=[p for p in products if p.available_on(today)], slots=slots, rules=rules
    )
    return {
        "merchant": merchant,
        "rules": rules,
        "form": form,
        "slots": slots,
        "sold_out": [p for p in products if not p.available_on(today)],
    }


@city_required
@login_required
def order_new(request, code):
    merchant = merchants.public_merchant(code=code)
    if not selectors.takes_orders(merchant=merchant):
        raise Http404("this business takes no orders")
    context = _order_form_context(request, merchant)
    if request.method != "POST":
        return render(request, "orders/order_form.html", context)
    form = OrderForm(
        request.POST,
        products=context["form"].products,
        slots=context["slots"],
        rules=context["rules"],
    )
    if form.is_valid():
        try:
            order, _created = services.order_place(
                citizen=request.user,
                merchant=merchant,
                fulfilment=form.cleaned_data["fulfilment"],
                quantities=form.quantities(),
                note=form.cleaned_data["note"],
                pickup_at=form.pickup_moment(),
                address=form.address(),
                form_key=form.cleaned_data["key"],
            )
        except services.OrderRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Thank you. The shop will confirm your order."))
            return redirect("order_detail", order.code)
    context["form"] = form
    return render(request, "orders/order_form.html", context, status=400)


@city_required
@login_required
def my_orders(request):
    page = Paginator(selectors.orders_of(citizen=request.user), PAGE_SIZE)
    return render(
        request, "orders/my_orders.html", {"page": page.get_page(request.GET.get("page"))}
    )


def _payment_context(request, order) -> dict:
    """The citizen's card: what it can pay with, for the payment form."""
    member = loyalty.member_of(city=request.city, user=request.user)
    card = selectors.card_of(order=order)
    points = loyalty.member_summary(member=member)["balance"] if member else 0
    return {
        "member": member,
        "points_available": points,
        "points_value": redemption_value_minor(city=request.city, points=points) if points else 0,
        "purse_available": purse_balance(card=card) if card else 0,
        "pay_form": PayForm(
            initial={
                "points": order.pay_points or None,
                "purse": order.pay_purse_minor or None,
                "voucher_amount": order.pay_voucher_minor or None,
            }
        ),
    }


def _detail_context(request, order, side) -> dict:
    steps = workflow.steps_for(order, side)
    pay_value = selectors.chosen_card_value_minor(order=order)
    on_card = order.paid_card_minor if order.state == Order.State.COMPLETED else pay_value
    context = {
        "order": order,
        "side": side,
        "steps": steps,
        "pay_value": pay_value,
        # What is left to pay at the counter (or was paid there).
        "counter_minor": max((order.total_minor or 0) - on_card, 0),
        "reason_form": ReasonForm(),
    }
    if "confirm" in steps:
        default = order.pickup_at or timezone.now() + dt.timedelta(hours=1)
        context["confirm_form"] = ConfirmForm(
            initial={"ready_at": timezone.localtime(default), "total": order.total_minor}
        )
    if "pay" in steps:
        context.update(_payment_context(request, order))
    return context


@city_required
@login_required
def order_detail(request, code):
    order, side = selectors.access_order(user=request.user, code=code)
    notifications_read(user=request.user, url=town_path("order_detail", order.code))
    return render(request, "orders/order_detail.html", _detail_context(request, order, side))


def _run_step(request, order, side, step) -> str | None:
    """Take ``step``; the reason it was refused, or None."""
    if step == "confirm":
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            return _("Say when the order will be ready.")
        services.order_confirm(
            order=order,
            actor=request.user,
            ready_at=form.cleaned_data["ready_at"],
            total_minor=form.cleaned_data["total"],
        )
    elif step in ("decline", "cancel"):
        form = ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        if step == "decline":
            services.order_decline(order=order, actor=request.user, reason=reason)
        else:
            services.order_cancel(order=order, side=side, actor=request.user, reason=reason)
    elif step == "ready":
        services.order_ready(order=order, actor=request.user)
    elif step == "complete":
        services.order_complete(order=order, actor=request.user)
    elif step == "counter":
        services.order_pay_clear(order=order, actor=request.user)
    elif step == "pay":
        form = PayForm(request.POST)
        if not form.is_valid():
            return " ".join(str(e) for errors in form.errors.values() for e in errors)
        data = form.cleaned_data
        services.order_pay_choose(
            order=order,
            citizen=request.user,
            points=data["points"] or 0,
            purse_minor=data["purse"] or 0,
            voucher_code=data["voucher_code"],
            voucher_minor=data["voucher_amount"] or 0,
        )
    return None


STEP_SIDES = {
    "confirm": {Side.MERCHANT},
    "decline": {Side.MERCHANT},
    "ready": {Side.MERCHANT},
    "complete": {Side.MERCHANT},
    "counter": {Side.MERCHANT},
    "cancel": {Side.MERCHANT, Side.CITIZEN},
    "pay": {Side.CITIZEN},
}


@city_required
@login_required
@require_POST
def order_step(request, code, step):
    order, side = selectors.access_order(user=request.user, code=code)
    if step not in STEP_SIDES:
        raise Http404("no such step")
    if side not in STEP_SIDES[step]:
        raise PermissionDenied
    try:
        error = _run_step(request, order, side, step)
    except services.OrderRefused as refused:
        error = refused.message
    if error:
        messages.error(request, error)
    back = request.POST.get("next", "")
    if back == "board" and side == Side.MERCHANT:
        return redirect("order_board", order.merchant.code)
    return redirect("order_detail", order.code)


@city_required
@login_required
def order_board(request, code):
    merchant, _role = chat.access_inbox(user=request.user, code=code)
    today = request.city.local_date(timezone.now())
    try:
        day = dt.date.fromisoformat(request.GET["day"]) if request.GET.get("day") else today
    except ValueError:
        day = today
    columns = selectors.board(merchant=merchant, day=day)
    context = {
        "merchant": merchant,
        "day": day,
        "today": today,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "columns": [
            (states, [dict(Order.State.choices)[state] for state in states], orders)
            for states, orders in columns
        ],
        "takes_orders": selectors.takes_orders(merchant=merchant),
    }
    template = "orders/_board.html" if request.htmx else "orders/board.html"
    return render(request, template, context)


@city_required
@login_required
def product_list(request, code):
    merchant, role = chat.access_inbox(user=request.user, code=code)
    today = request.city.local_date(timezone.now())
    products = list(selectors.products_of(merchant=merchant, listed_only=False))
    return render(
        request,
        "orders/products.html",
        {
            "merchant": merchant,
            "products": [(p, p.available_on(today)) for p in products],
            "may_manage": manages_business(role),
        },
    )


def _product_form(request, merchant, product):
    form = ProductForm(request.POST or None, request.FILES or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_save(product=form.save(commit=False), actor=request.user)
        except services.OrderRefused as refused:
            form.add_error("name", refused.message)
        else:
            messages.success(request, _("The product is saved."))
            return redirect("product_list", merchant.code)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "orders/product_form.html",
        {"merchant": merchant, "form": form, "product": product},
        status=status,
    )


@city_required
@login_required
def product_new(request, code):
    merchant, role = chat.access_inbox(user=request.user, code=code)
    if not manages_business(role):
        raise PermissionDenied
    return _product_form(request, merchant, Product(city=request.city, merchant=merchant))


@city_required
@login_required
def product_edit(request, code, product):
    merchant, role = chat.access_inbox(user=request.user, code=code)
    found = selectors.access_product(merchant=merchant, code=product)
    if not manages_business(role):
        raise PermissionDenied
    return _product_form(request, merchant, found)


@city_required
@login_required
@require_POST
def product_availability(request, code, product):
    """Sold out today, or available again (every member of staff, cashiers too)."""
    merchant, _role = chat.access_inbox(user=request.user, code=code)
    found = selectors.access_product(merchant=merchant, code=product)
    services.product_availability(
        product=found,
        available=request.POST.get("available") == "1",
        day=request.city.local_date(timezone.now()),
        actor=request.user,
    )
    return redirect("product_list", merchant.code)


@city_required
@login_required
def order_settings(request, code):
    merchant, role = chat.access_inbox(user=request.user, code=code)
    if not manages_business(role):
        raise PermissionDenied
    form = OrderSettingsForm(
        request.POST or None, instance=selectors.settings_of(merchant=merchant)
    )
    if request.method == "POST" and form.is_valid():
        services.order_settings_save(merchant=merchant, values=form.values(), actor=request.user)
        messages.success(request, _("The order settings are saved."))
        return redirect("order_board", merchant.code)
    return render(
        request,
        "orders/settings.html",
        {"merchant": merchant, "form": form, "board": reverse("order_board", args=[merchant.code])},
        status=400 if request.method == "POST" else 200,
    )
