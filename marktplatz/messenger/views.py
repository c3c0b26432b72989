"""Follows and offers: the citizen's feed and follows, the business's public page, and the
offer pages of businesses and of the operator."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, role_required
from marktplatz.accounts.selectors import is_operator
from marktplatz.merchants import selectors as merchants
from marktplatz.merchants.hours import hours_rows, is_open_at
from marktplatz.merchants.models import Category
from marktplatz.messenger import selectors, services
from marktplatz.messenger.forms import CategoryFollowForm, FollowForm, OfferForm, SaveForm
from marktplatz.newsletters.selectors import newsletter_of_merchant
from marktplatz.orders import selectors as orders

PAGE_SIZE = 12
# The comparison chart: a label column, then bars up to CHART_BAR_PX (SVG units).
CHART_LABEL_PX, CHART_BAR_PX, CHART_ROW_PX = 230, 340, 28


def _viewer(request) -> str:
    """An opaque id of the person (or, logged out, of the browser's CSRF cookie) for
    counting each offer once per day; empty when there is none."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return f"browser:{cookie}" if cookie else ""


@city_required
def offers(request):
    today = timezone.localdate()
    saved_only = request.GET.get("saved") == "1" and request.user.is_authenticated
    if saved_only:
        feed = selectors.saved_offers(user=request.user, today=today)
    else:
        feed = selectors.offer_feed(user=request.user, today=today)
    page = Paginator(feed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "messenger/offers.html",
        {"page": page, "saved_only": saved_only, "saved": selectors.saved_codes(user=request.user)},
    )


@city_required
def offer_detail(request, code):
    today = timezone.localdate()
    offer = selectors.visible_offer(code=code, user=request.user, today=today)
    state = offer.state(today)
    # The business's own staff and the operator reading it are not its audience.
    if state == offer.State.LIVE and not selectors.manages_offer(user=request.user, offer=offer):
        services.offer_seen(offer=offer, kind="opens", viewer=_viewer(request), day=today)
    return render(
        request,
        "messenger/offer_detail.html",
        {
            "offer": offer,
            "state": state,
            "state_label": offer.state_label(today),
            "saved": offer.code in selectors.saved_codes(user=request.user),
        },
    )


@city_required
@require_POST
def offer_events(request):
    """What the offers page saw: ``{"seen": [codes], "shared": [codes]}`` (at most 50
    each) as the JSON body, or as the form field ``events`` (the page's beacon). Offers
    the person may not see are left out; answers 204, or 400 with a reason."""
    try:
        if request.content_type == "application/json":
            body = json.loads(request.body or b"{}")
        else:
            body = json.loads(request.POST.get("events") or "{}")
        seen, shared = body.get("seen", []), body.get("shared", [])
        if not (isinstance(seen, list) and isinstance(shared, list)) or not all(
            isinstance(code, str) for code in [*seen, *shared]
        ):
            raise TypeError
    except (ValueError, TypeError, AttributeError):
        return JsonResponse(
            {"error": "bad_request", "detail": _('Send {"seen": [...], "shared": [...]}.')},
            status=400,
        )
    today, viewer = timezone.localdate(), _viewer(request)
    for kind, codes in (("impressions", seen), ("shares", shared)):
        for offer in selectors.seen_offers(codes=codes, user=request.user, today=today):
            services.offer_seen(offer=offer, kind=kind, viewer=viewer, day=today)
    return HttpResponse(status=204)


@city_required
@login_required
@require_POST
def offer_save(request, code):
    """Save an offer for later, or stop (the button says which)."""
    today = timezone.localdate()
    offer = selectors.visible_offer(code=code, user=request.user, today=today)
    form = SaveForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["action"] == "save":
            services.offer_save_for_later(user=request.user, offer=offer, day=today)
        else:
            services.offer_unsave(user=request.user, offer=offer)
    saved = offer.code in selectors.saved_codes(user=request.user)
    if request.htmx:
        return render(request, "messenger/_save_button.html", {"offer": offer, "saved": saved})
    return redirect("offer_detail", code=offer.code)


@city_required
def merchant_page(request, code):
    """A business's public page: offers, opening hours (open now?), map, contact."""
    merchant = merchants.public_merchant(code=code)
    now = timezone.localtime()
    located = merchant.latitude is not None and merchant.longitude is not None
    return render(
        request,
        "messenger/merchant_page.html",
        {
            "merchant": merchant,
            "hours": hours_rows(merchant.opening_hours),
            "open_now": is_open_at(merchant.opening_hours, now),
            "offers": selectors.live_offers_of(
                merchant=merchant, user=request.user, today=now.date()
            ),
            "following": selectors.is_following(user=request.user, merchant=merchant),
            "products": [
                (product, product.available_on(request.city.local_date(now)))
                for product in orders.products_of(merchant=merchant)
            ],
            "takes_orders": orders.takes_orders(merchant=merchant),
            "newsletter": newsletter_of_merchant(merchant=merchant),
            "points": [merchants.map_point(merchant)] if located else [],
            "tile_url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_ATTRIBUTION,
        },
    )


@city_required
@login_required
@require_POST
def merchant_follow(request, code):
    """Follow or stop following (the button says which: pressing it twice is harmless)."""
    merchant = merchants.public_merchant(code=code)
    form = FollowForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["action"] == "follow":
            services.merchant_follow(user=request.user, merchant=merchant)
        else:
            services.merchant_unfollow(user=request.user, merchant=merchant)
    following = selectors.is_following(user=request.user, merchant=merchant)
    if request.htmx:
        return render(
            request, "messenger/_follow_button.html", {"merchant": merchant, "following": following}
        )
    if following:
        messages.success(request, _("You follow %(name)s now.") % {"name": merchant.name})
    else:
        messages.success(request, _("You no longer follow %(name)s.") % {"name": merchant.name})
    return redirect("merchant_detail", code=merchant.code)


@city_required
@login_required
def follows(request):
    """What the person follows: businesses and kinds of business."""
    form = CategoryFollowForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            category = form.cleaned_data["category"]
            label = Category(category).label
            if form.cleaned_data["action"] == "follow":
                services.category_follow(city=request.city, user=request.user, category=category)
                messages.success(request, _("You follow %(kind)s now.") % {"kind": label})
            else:
                services.category_unfollow(user=request.user, category=category)
                messages.success(request, _("You no longer follow %(kind)s.") % {"kind": label})
            return redirect("follows")
        messages.error(request, _("Choose a kind of business."))
    followed = set(selectors.followed_categories(user=request.user))
    return render(
        request,
        "messenger/follows.html",
        {
            "merchants": selectors.followed_merchants(user=request.user),
            "categories": [(value, label, value in followed) for value, label in Category.choices],
            "followed_categories": [(value, Category(value).label) for value in sorted(followed)],
        },
    )


# --- Offers of a business and of the operator ---------------------------------------------


def _offer_list(request, *, merchant, offers, new_url: str):
    page = Paginator(offers, 20).get_page(request.GET.get("page"))
    today = timezone.localdate()
    figures = selectors.offer_figures(offers=list(page))
    rows = [
        (offer, offer.state(today), offer.state_label(today), figures[offer.pk]) for offer in page
    ]
    average = selectors.town_average()
    return render(
        request,
        "messenger/offer_list.html",
        {
            "merchant": merchant,
            "page": page,
            "rows": rows,
            "new_url": new_url,
            "average": average,
            "charts": [
                {"title": title, "bars": bars, "height": len(bars) * CHART_ROW_PX}
                for title, kind in (
                    (_("Opened, as a share of those who saw the offer"), "opens"),
                    (
                        _("Redeemed at the till, as a share of those who saw the offer"),
                        "redemptions",
                    ),
                )
                if (bars := _rate_chart(rows, average, kind))
            ],
            "chart_label_px": CHART_LABEL_PX,
        },
    )


def _rate_chart(rows, average, kind: str) -> list[dict]:
    """Bars of one rate (``kind``) of each offer that was seen, and the town's average, as
    percentages of the widest bar (drawn as SVG by the template, with a table beside).
    None where no offer has a rate above zero."""
    bars = [
        {"label": offer.title, "rate": figures["rates"][kind], "town": False}
        for offer, _state, _label, figures in rows
        if figures["rates"][kind] is not None
    ]
    if not any(bar["rate"] for bar in bars):
        return []
    if average["rates"][kind] is not None:
        bars.append({"label": _("Town average"), "rate": average["rates"][kind], "town": True})
    widest = max(bar["rate"] for bar in bars) or 1
    for index, bar in enumerate(bars):
        bar["width"] = round(CHART_BAR_PX * bar["rate"] / widest, 1)
        bar["value_x"] = CHART_LABEL_PX + bar["width"] + 6
        bar["y"] = index * CHART_ROW_PX
    return bars


def _offer_form(request, *, merchant, offer, back: str):
    """Create or change an offer; "Publish" publishes it, "Save" keeps its state."""
    form = OfferForm(
        request.POST or None,
        request.FILES or None,
        instance=offer,
        merchant=merchant,
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        offer = form.save(commit=False)
        offer.city, offer.merchant = request.city, merchant
        publish = "publish" in request.POST
        offer = services.offer_save(offer=offer, actor=request.user, publish=publish)
        if offer.withdrawn_at is not None:
            messages.success(request, _("The offer is saved (it stays withdrawn)."))
        elif offer.published_at is not None:
            messages.success(request, _("The offer is published."))
        else:
            messages.success(request, _("The offer is saved as a draft."))
        return redirect(back)
    return render(
        request,
        "messenger/offer_form.html",
        {
            "form": form,
            "offer": offer,
            "merchant": merchant,
            "back": back,
            "state_label": offer.state_label(timezone.localdate()) if offer else "",
        },
    )


def _withdraw(request, *, offer, back: str):
    if services.offer_withdraw(offer=offer, actor=request.user):
        messages.success(request, _("The offer is withdrawn."))
    return redirect(back)


@city_required
@login_required
def merchant_offers(request, code):
    merchant = merchants.access_merchant(user=request.user, code=code, manage=True)
    return _offer_list(
        request,
        merchant=merchant,
        offers=selectors.offers_of_merchant(merchant=merchant),
        new_url=reverse("merchant_offer_new", args=[merchant.code]),
    )


@city_required
@login_required
def merchant_offer_new(request, code):
    merchant = merchants.access_merchant(user=request.user, code=code, manage=True)
    back = reverse("merchant_offers", args=[merchant.code])
    return _offer_form(request, merchant=merchant, offer=None, back=back)


@city_required
@login_required
def merchant_offer_edit(request, code, offer):
    merchant = merchants.access_merchant(user=request.user, code=code, manage=True)
    found = selectors.offer_for_editing(code=offer, merchant=merchant)
    back = reverse("merchant_offers", args=[merchant.code])
    return _offer_form(request, merchant=merchant, offer=found, back=back)


@city_required
@login_required
@require_POST
def merchant_offer_withdraw(request, code, offer):
    merchant = merchants.access_merchant(user=request.user, code=code, manage=True)
    found = selectors.offer_for_editing(code=offer, merchant=merchant)
    return _withdraw(request, offer=found, back=reverse("merchant_offers", args=[merchant.code]))


@role_required(*OPERATOR_KINDS)
def operator_offers(request):
    return _offer_list(
        request,
        merchant=None,
        offers=selectors.offers_of_town(),
        new_url=reverse("operator_offer_new"),
    )


@role_required(*OPERATOR_KINDS)
def operator_offer_new(request):
    return _offer_form(request, merchant=None, offer=None, back=reverse("operator_offers"))


def _town_offer(request, code: str):
    # Look the offer up first: another town's code is a 404 for everybody.
    offer = selectors.offer_for_editing(code=code, merchant=None)
    if not is_operator(user=request.user):
        raise PermissionDenied
    return offer


@city_required
@login_required
def operator_offer_edit(request, offer):
    found = _town_offer(request, offer)
    return _offer_form(request, merchant=None, offer=found, back=reverse("operator_offers"))


@city_required
@login_required
@require_POST
def operator_offer_withdraw(request, offer):
    found = _town_offer(request, offer)
    return _withdraw(request, offer=found, back=reverse("operator_offers"))
