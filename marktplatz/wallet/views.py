"""Wallet passes for citizens, and Apple's pass web service for the devices holding them.

Apple's web service (https://developer.apple.com/documentation/walletpasses): the device
registers for updates, asks which passes changed, fetches the newest pass, and reports
errors; every call but the log carries ``Authorization: ApplePass <token>``.
"""

from __future__ import annotations

import email.utils
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from marktplatz.accounts.permissions import city_required
from marktplatz.loyalty.models import Card
from marktplatz.loyalty.selectors import member_of
from marktplatz.loyalty.views import join_page
from marktplatz.wallet import passes, selectors, services
from marktplatz.wallet.models import DeviceRegistration, WalletPass

PKPASS = "application/vnd.apple.pkpass"


def _web_service_url(request) -> str:
    return request.build_absolute_uri(reverse("wallet_apple_root"))


def _own_card(request) -> Card | None:
    """The visitor's active card; None if they hold no card of this town (join page)."""
    member = member_of(city=request.city, user=request.user)
    if member is None:
        return None
    card = member.cards.filter(status=Card.Status.ACTIVE).order_by("-created_at").first()
    if card is None:
        raise Http404("no active card")
    return card


@city_required
@login_required
def apple_download(request):
    card = _own_card(request)
    if card is None:
        return join_page(request)
    if not passes.apple_enabled(request.city):
        raise Http404("Apple Wallet is not offered in this town")
    response = HttpResponse(
        passes.apple_pkpass(
            card=card,
            web_service_url=_web_service_url(request),
            language=request.LANGUAGE_CODE,
        ),
        content_type=PKPASS,
    )
    response["Content-Disposition"] = f'attachment; filename="citycard-{request.city.slug}.pkpass"'
    return response


@city_required
@login_required
def google_save(request):
    card = _own_card(request)
    if card is None:
        return join_page(request)
    if not passes.google_enabled(request.city):
        raise Http404("Google Wallet is not offered in this town")
    origin = request.build_absolute_uri("/").rstrip("/")
    return redirect(passes.google_save_url(card=card, origin=origin))


def _authorised_pass(request, pass_type: str, serial: str) -> WalletPass | None:
    if request.city is None or pass_type != settings.WALLET_APPLE_PASS_TYPE_ID:
        return None
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("ApplePass ").strip()
    return selectors.access_pass(city=request.city, serial=serial, token=token)


def apple_root(request):
    raise Http404("the pass web service lives below v1/")


@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def apple_registration(request, device: str, pass_type: str, serial: str):
    found = _authorised_pass(request, pass_type, serial)
    if found is None:
        return HttpResponse(status=401)
    if request.method == "DELETE":
        services.device_unregister(wallet_pass=found, device=device)
        return HttpResponse(status=200)
    try:
        push_token = json.loads(request.body or b"{}")["pushToken"]
    except (ValueError, KeyError, TypeError):
        return HttpResponse(status=400)
    created = services.device_register(wallet_pass=found, device=device, push_token=str(push_token))
    return HttpResponse(status=201 if created else 200)


@require_http_methods(["GET"])
def apple_updated(request, device: str, pass_type: str):
    if request.city is None or pass_type != settings.WALLET_APPLE_PASS_TYPE_ID:
        raise Http404("unknown pass type")
    since = request.GET.get("passesUpdatedSince")
    serials, newest = [], None
    for registration in DeviceRegistration.objects.filter(device_library_id=device).select_related(
        "wallet_pass__card"
    ):
        card = registration.wallet_pass.card
        changed = passes.last_updated(card)
        if since is None or int(changed.timestamp()) > int(since or 0):
            serials.append(card.code)
        newest = max(filter(None, [newest, changed]))
    if not serials:
        return HttpResponse(status=204)
    return JsonResponse({"lastUpdated": str(int(newest.timestamp())), "serialNumbers": serials})


@require_http_methods(["GET"])
def apple_latest(request, pass_type: str, serial: str):
    found = _authorised_pass(request, pass_type, serial)
    if found is None:
        return HttpResponse(status=401)
    changed = passes.last_updated(found.card)
    since = request.headers.get("If-Modified-Since")
    if since:
        parsed = email.utils.parsedate_to_datetime(since)
        if parsed is not None and changed <= parsed:
            return HttpResponse(status=304)
    response = HttpResponse(
        passes.apple_pkpass(card=found.card, web_service_url=_web_service_url(request)),
        content_type=PKPASS,
    )
    response["Last-Modified"] = email.utils.format_datetime(changed, usegmt=True)
    return response


@csrf_exempt
@require_http_methods(["POST"])
def apple_log(request):
    return HttpResponse(status=200)
