"""The city card in the browser: the citizen's card, the merchant's POS, the operator's view."""

from __future__ import annotations

import contextlib
import uuid

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from marktplatz.accounts.models import OPERATOR_KINDS, RoleKind
from marktplatz.accounts.permissions import (
    city_required,
    money_action,
    money_action_allowed,
    role_required,
    two_factor_refusal,
)
from marktplatz.core.csvexport import CsvExport, csv_format
from marktplatz.core.qr import qr_svg
from marktplatz.core.throttle import TooManyAttempts, merchant_guard
from marktplatz.ledger.errors import LedgerError
from marktplatz.loyalty import rules, selectors, services
from marktplatz.loyalty.errors import CardNotFound
from marktplatz.loyalty.forms import (
    AdjustForm,
    BatchForm,
    CampaignForm,
    CardActionForm,
    CardForm,
    EarnForm,
    ProgrammeForm,
    RedeemForm,
    RefundForm,
)
from marktplatz.loyalty.models import BookingKind, Campaign, Card, CardBatch, Programme
from marktplatz.loyalty.offers import till_offer, till_offers
from marktplatz.merchants.selectors import access_merchant

# --- Citizen ---------------------------------------------------------------------------


def join_page(request, status: int = 200):
    """What a visitor without the town's card sees instead of a card page: an offer to
    join (a POST), never a membership made behind their back."""
    return render(
        request,
        "loyalty/join.html",
        {
            "next": request.get_full_path() if request.method == "GET" else reverse("card"),
            "welcome_bonus": services.programme_for(city=request.city).welcome_bonus,
        },
        status=status,
    )


@city_required
@login_required
def card_join(request):
    """Join the town's city card: a citizen role, a digital card, the welcome bonus."""
    if request.method != "POST":
        if selectors.member_of(city=request.city, user=request.user) is not None:
            return redirect("card")
        return join_page(request)
    _member, joined = services.member_join(city=request.city, user=request.user)
    if joined:
        messages.success(
            request,
            _("Welcome! Your city card of %(town)s is ready.") % {"town": request.city.name},
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("card")
    return redirect(target)


@city_required
@login_required
def card(request):
    member = selectors.member_of(city=request.city, user=request.user)
    if member is None:
        return join_page(request)
    own_card = member.cards.filter(status=Card.Status.ACTIVE).order_by("-created_at").first()
    page = Paginator(selectors.member_history(member=member), 20).get_page(request.GET.get("page"))
    rows = [(b, selectors.signed_points(b), selectors.booking_reason(b)) for b in page.object_list]
    summary = selectors.member_summary(member=member)
    return render(
        request,
        "loyalty/card.html",
        {
            "member": member,
            "card": own_card,
            "qr": qr_svg(own_card.qr_token) if own_card else "",
            "summary": summary,
            "value": services.redemption_value_minor(
                city=request.city, points=max(summary["balance"], 0)
            ),
            "page": page,
            "rows": rows,
        },
    )


@city_required
@login_required
@require_POST
def card_claim(request):
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            found = services.card_lookup(city=request.city, identifier=form.cleaned_data["card"])
            services.card_claim(card=found, user=request.user)
        except LedgerError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The card is now yours; its points are on your account."))
    else:
        messages.error(request, _("Enter the number printed on the card."))
    return redirect("card")


@city_required
@login_required
@require_POST
def card_renew(request):
    """The citizen's own card: block it (lost plastic card) or get a new QR code."""
    member = selectors.member_of(city=request.city, user=request.user)
    if member is None:
        raise Http404("no such card")
    own = member.cards.filter(code=request.POST.get("card", ""), status=Card.Status.ACTIVE).first()
    if own is None:
        raise Http404("no such card")
    services.card_replace(card=own, actor=request.user, reason="renewed by holder")
    messages.success(request, _("Your old card is blocked; use the new one. Your points are kept."))
    return redirect("card")


@city_required
def manifest(request):
    city = request.city
    return JsonResponse(
        {
            "name": f"{city.name} · Marktplatz",
            "short_name": city.name,
            "start_url": reverse("card"),
            "scope": reverse("home"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": city.primary_color,
            "icons": [
                {"src": "/static/marktplatz/icon.svg", "sizes": "any", "type": "image/svg+xml"}
            ],
        },
        content_type="application/manifest+json",
    )


@city_required
@cache_control(max_age=0, no_cache=True)
def service_worker(request):
    """Keeps the card page for offline use (the QR code is what a cashier scans)."""
    body = render_to_string("loyalty/sw.js", {"card_url": reverse("card")})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("home")
    return response


# --- Merchant POS ------------------------------------------------------------------------


def _pos_context(request, merchant, **extra):
    role = rules.till_role(user=request.user, merchant=merchant)
    # Only those who may refund part of a purchase see the refund form (not cashiers).
    if rules.may_refund_partly(role=role):
        extra.setdefault(
            "refund_form", RefundForm(initial={"key": uuid.uuid4().hex}, prefix="refund")
        )
    else:
        extra.pop("refund_form", None)
    return {"merchant": merchant, "card_form": CardForm(), "till_role": role, **extra}


def _pos_render(request, merchant, partial: str, context: dict, status: int = 200):
    context = _pos_context(request, merchant, partial=partial, **context)
    template = partial if request.htmx else "loyalty/pos.html"
    return render(request, template, context, status=status)


def _card_panel(request, merchant, found: Card, **extra):
    summary = selectors.member_summary(member=found.member)
    return {
        "card": found,
        "summary": summary,
        "value": services.redemption_value_minor(
            city=request.city, points=max(summary["balance"], 0)
        ),
        "earn_form": extra.pop("earn_form", None)
        or EarnForm(
            initial={"card": found.qr_token, "key": uuid.uuid4().hex},
            offers=_offers(request, merchant),
        ),
        "redeem_form": extra.pop("redeem_form", None)
        or RedeemForm(initial={"card": found.qr_token, "key": uuid.uuid4().hex}),
        "rate": services.rate_for(
            programme=services.programme_for(city=request.city), merchant=merchant
        ),
        **extra,
    }


@city_required
@login_required
# The QR scanner compiles ZXing's WebAssembly: allowed on the till page, nowhere else.
@csp_update({"script-src": ["'wasm-unsafe-eval'"]})
def pos(request, code):
    merchant = access_merchant(user=request.user, code=code)
    context = _pos_context(request, merchant)
    context["scanner"] = settings.SCANNER_AVAILABLE
    return render(request, "loyalty/pos.html", context)


@city_required
@login_required
@require_POST
def pos_card(request, code):
    merchant = access_merchant(user=request.user, code=code)
    form = CardForm(request.POST)
    if not form.is_valid():
        return _pos_render(
            request, merchant, "loyalty/_pos_error.html", {"error": _("Enter a card number.")}
        )
    try:
        with _guessing(merchant):
            found = services.card_lookup(city=request.city, identifier=form.cleaned_data["card"])
    except TooManyAttempts as error:
        return _too_many(request, merchant, error)
    except LedgerError as error:
        return _pos_render(request, merchant, "loyalty/_pos_error.html", {"error": error.message})
    return _pos_render(
        request, merchant, "loyalty/_pos_card.html", _card_panel(request, merchant, found)
    )


def _too_many(request, merchant, error):
    # htmx swaps only 2xx answers into the till: the refusal must be seen there.
    return _pos_render(
        request,
        merchant,
        "loyalty/_pos_error.html",
        {"error": error.message},
        status=200 if request.htmx else 429,
    )


def _guessing(merchant):
    """Unknown cards typed at the till count against the merchant, its API keys included."""
    return merchant_guard(merchant_id=merchant.pk, misses=(CardNotFound,), label="till page")


def _offers(request, merchant):
    """The business's live offers, for the till's "offer used" choice."""
    return till_offers(merchant=merchant, today=request.city.local_date(timezone.now()))


def _book(request, merchant, form, book):
    found = None
    looked_up = form.is_valid()
    if looked_up:
        try:
            with _guessing(merchant):
                found = services.card_lookup(
                    city=request.city, identifier=form.cleaned_data["card"]
                )
            booking, _created = book(
                found, form.cleaned_data, f"pos:{merchant.pk}:{form.cleaned_data['key']}"
            )
        except TooManyAttempts as error:
            return _too_many(request, merchant, error)
        except LedgerError as error:
            form.add_error(None, str(error.message))
        else:
            return _pos_render(
                request, merchant, "loyalty/_pos_receipt.html", _receipt(request, merchant, booking)
            )
    if found is None:
        try:
            # A card already counted above as unknown is not counted twice.
            with contextlib.nullcontext() if looked_up else _guessing(merchant):
                found = services.card_lookup(
                    city=request.city, identifier=request.POST.get("card", "")
                )
        except TooManyAttempts as error:
            return _too_many(request, merchant, error)
        except LedgerError as error:
            return _pos_render(
                request, merchant, "loyalty/_pos_error.html", {"error": error.message}
            )
    name = "earn_form" if isinstance(form, EarnForm) else "redeem_form"
    return _pos_render(
        request,
        merchant,
        "loyalty/_pos_card.html",
        _card_panel(request, merchant, found, **{name: form}),
    )


def _receipt(request, merchant, booking):
    summary = selectors.member_summary(member=booking.member)
    return {
        "booking": booking,
        "offer": till_offer(
            merchant=merchant,
            code=booking.offer_code,
            today=request.city.local_date(booking.created_at),
        )
        if booking.offer_code
        else None,
        "balance": summary["balance"],
        "value": services.redemption_value_minor(city=request.city, points=booking.points),
        "cancel_key": uuid.uuid4().hex,
        "can_cancel": _may_cancel(request, merchant, booking),
    }


def _may_cancel(request, merchant, booking) -> bool:
    """The receipt's "cancel booking" button: the whole purchase, nothing refunded yet."""
    if booking.kind != BookingKind.EARN or booking.corrections.exists():
        return False
    return rules.refund_allowed(
        booking=booking,
        role=rules.till_role(user=request.user, merchant=merchant),
        programme=services.programme_for(city=request.city),
        now=timezone.now(),
        corrected=False,
    )


@city_required
@login_required
@require_POST
def pos_earn(request, code):
    merchant = access_merchant(user=request.user, code=code)

    def book(found, data, key):
        return services.earn(
            city=request.city,
            merchant=merchant,
            card=found,
            purchase_minor=data["amount"],
            currency=request.city.currency,
            idempotency_key=key,
            actor=request.user,
            offer_code=data["offer"],
        )

    form = EarnForm(request.POST, offers=_offers(request, merchant))
    return _book(request, merchant, form, book)


@city_required
@login_required
@require_POST
def pos_redeem(request, code):
    merchant = access_merchant(user=request.user, code=code)

    def book(found, data, key):
        return services.redeem(
            city=request.city,
            merchant=merchant,
            card=found,
            points=data["points"],
            idempotency_key=key,
            actor=request.user,
        )

    return _book(request, merchant, RedeemForm(request.POST), book)


@city_required
@login_required
@require_POST
def pos_cancel(request, code, booking):
    merchant = access_merchant(user=request.user, code=code)
    original = selectors.booking_at(merchant=merchant, code=booking)
    if original is None:
        raise Http404("no such booking")
    if not _may_cancel(request, merchant, original):
        raise PermissionDenied
    key = (request.POST.get("key") or "")[:64]
    try:
        correction, _created = services.refund(
            booking=original,
            purchase_minor=None,
            idempotency_key=f"pos:{merchant.pk}:{key}",
            actor=request.user,
        )
    except LedgerError as error:
        return _pos_render(request, merchant, "loyalty/_pos_error.html", {"error": error.message})
    return _pos_render(
        request, merchant, "loyalty/_pos_receipt.html", _receipt(request, merchant, correction)
    )


@city_required
@login_required
@require_POST
def pos_refund(request, code):
    """Refund a purchase (all or part) by the booking number on the receipt."""
    merchant = access_merchant(user=request.user, code=code, manage=True)
    form = RefundForm(request.POST, prefix="refund")
    if form.is_valid():
        data = form.cleaned_data
        original = selectors.booking_at(merchant=merchant, code=data["booking"])
        if original is None:
            form.add_error("booking", _("No purchase with this number at this business."))
        else:
            try:
                correction, _created = services.refund(
                    booking=original,
                    purchase_minor=data["amount"],
                    idempotency_key=f"pos:{merchant.pk}:{data['key']}",
                    actor=request.user,
                )
            except LedgerError as error:
                form.add_error(None, str(error.message))
            else:
                return _pos_render(
                    request,
                    merchant,
                    "loyalty/_pos_receipt.html",
                    _receipt(request, merchant, correction),
                )
    return render(
        request, "loyalty/pos.html", _pos_context(request, merchant, refund_form=form), status=200
    )


# --- Operator -----------------------------------------------------------------------------


@role_required(*OPERATOR_KINDS)
def operator_card(request):
    # A card picked in the list of card holders arrives as ?card=<number>.
    picked = {"card": request.GET.get("card", "")[:64]}
    adjust_form = AdjustForm(prefix="adjust", initial=picked)
    batch_form = BatchForm(prefix="batch")
    card_form = CardActionForm(prefix="lost", initial=picked)
    adjust_confirm = None
    if request.method == "POST":
        if "lost-card" in request.POST and not money_action_allowed(request, "card.block"):
            return two_factor_refusal(request, "card.block")
        if "adjust-card" in request.POST and not money_action_allowed(request, "points.adjust"):
            return two_factor_refusal(request, "points.adjust")
        if "lost-card" in request.POST:
            card_form = CardActionForm(request.POST, prefix="lost")
            if card_form.is_valid():
                data = card_form.cleaned_data
                try:
                    found = services.card_lookup(city=request.city, identifier=data["card"])
                except LedgerError as error:
                    card_form.add_error("card", str(error.message))
                else:
                    if data["action"] == "replace":
                        new = services.card_replace(
                            card=found, actor=request.user, reason=data["reason"]
                        )
                        messages.success(
                            request,
                            _("Card blocked; the new card %(number)s keeps the points.")
                            % {"number": new},
                        )
                    else:
                        services.card_block(card=found, actor=request.user, reason=data["reason"])
                        messages.success(request, _("The card is blocked; its points are kept."))
                    return redirect("operator_card")
        elif "adjust-card" in request.POST:
            adjust_form = AdjustForm(request.POST, prefix="adjust")
            if adjust_form.is_valid():
                data = adjust_form.cleaned_data
                # A large correction is booked only after a second look at the amount.
                large = abs(data["points"]) > settings.POINTS_ADJUST_CONFIRM_ABOVE
                confirmed = request.POST.get("adjust-confirmed") == "1"
                try:
                    found = services.card_lookup(city=request.city, identifier=data["card"])
                    if large and not confirmed:
                        adjust_confirm = {**data, "number": str(found)}
                    else:
                        services.points_adjust(
                            member=found.member,
                            points=data["points"],
                            reason=data["reason"],
                            actor=request.user,
                        )
                except LedgerError as error:
                    adjust_form.add_error(None, str(error.message))
                else:
                    if adjust_confirm is None:
                        messages.success(request, _("The points are booked."))
                        return redirect("operator_card")
        else:
            batch_form = BatchForm(request.POST, prefix="batch")
            if batch_form.is_valid():
                services.card_batch_issue(
                    city=request.city,
                    actor=request.user,
                    size=batch_form.cleaned_data["size"],
                    note=batch_form.cleaned_data["note"],
                )
                messages.success(
                    request, _("The cards are issued; download the print sheet below.")
                )
                return redirect("operator_card")
    return render(
        request,
        "loyalty/operator.html",
        {
            "figures": selectors.town_figures(city=request.city),
            "merchants": selectors.merchant_figures(),
            "batches": CardBatch.objects.order_by("-created_at")[:20],
            "adjust_form": adjust_form,
            "adjust_confirm": adjust_confirm,
            "confirm_above": settings.POINTS_ADJUST_CONFIRM_ABOVE,
            "batch_form": batch_form,
            "card_form": card_form,
        },
    )


@role_required(*OPERATOR_KINDS)
def operator_holders(request):
    query = request.GET.get("q", "")[:120]
    page = Paginator(selectors.card_search(query=query), 25).get_page(request.GET.get("page"))
    return render(request, "loyalty/operator_holders.html", {"page": page, "query": query})


@role_required(*OPERATOR_KINDS)
def operator_card_csv(request):
    export = CsvExport(
        city=request.city,
        filename=f"points-{request.city.slug}.csv",
        format=csv_format(requested=request.GET.get("format"), city=request.city),
    )
    export.row(
        [_("Business"), _("Code"), _("Bookings"), _("Turnover"), _("Points issued"),
         _("Points redeemed"), _("Points taken back")]
    )  # fmt: skip
    for row in selectors.merchant_figures():
        export.row(
            [row["merchant__name"], row["merchant__code"], row["bookings"],
             export.money(row["turnover"]), row["issued"], row["redeemed"], row["taken_back"]]
        )  # fmt: skip
    return export.response


@city_required
@login_required
def operator_batch_pdf(request, code):
    from marktplatz.loyalty.printing import batch_sheet_pdf

    batch = selectors.access_card_batch(user=request.user, code=code)
    cards = list(Card.objects.filter(batch=batch).order_by("pk"))
    response = HttpResponse(
        batch_sheet_pdf(city=request.city, cards=cards), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="cards-{batch.code}.pdf"'
    return response


@role_required(RoleKind.OPERATOR_ADMIN)
@money_action("money_rules.change")
def operator_rules(request):
    """The town's earning and redemption rules and its point campaigns."""
    # A fresh copy: the shared, cached programme is never changed in place.
    programme = Programme.objects.get(pk=services.programme_for(city=request.city).pk)
    rules_form = ProgrammeForm(
        request.POST if "points_per_unit" in request.POST else None, instance=programme
    )
    campaign_form = CampaignForm(
        request.POST if "campaign-name" in request.POST else None, prefix="campaign"
    )
    if rules_form.is_bound and rules_form.is_valid():
        services.programme_update(
            programme=rules_form.save(commit=False),
            actor=request.user,
            changed=rules_form.changed_data,
        )
        messages.success(request, _("The rules are saved; they apply to the next booking."))
        return redirect("operator_rules")
    if campaign_form.is_bound and campaign_form.is_valid():
        services.campaign_create(
            city=request.city, campaign=campaign_form.save(commit=False), actor=request.user
        )
        messages.success(request, _("The campaign is set up."))
        return redirect("operator_rules")
    return render(
        request,
        "loyalty/operator_rules.html",
        {
            "rules_form": rules_form,
            "campaign_form": campaign_form,
            "campaigns": Campaign.objects.select_related("merchant")[:30],
        },
    )
