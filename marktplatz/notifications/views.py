"""A person's notifications in the town, their channels per kind (e-mail and push, each
by consent), and the push subscriptions of their browsers."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.permissions import city_required
from marktplatz.core.clientip import consent_source
from marktplatz.notifications import selectors, services, vapid
from marktplatz.notifications.models import Channel, Kind
from marktplatz.notifications.paths import page_path
from marktplatz.notifications.texts import body_of, title_of

PAGE_SIZE = 30


@city_required
@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_of(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(n, title_of(n.kind, n.event), body_of(n.kind, n.event)) for n in page.object_list]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@city_required
@login_required
@require_POST
def notifications_read(request):
    services.notifications_read(user=request.user)
    return redirect("notification_list")


@city_required
@login_required
def notification_open(request, pk):
    found = selectors.access_notification(user=request.user, pk=pk)
    services.notifications_read(user=request.user, url=found.url)
    return redirect(page_path(found.url))


def _consent_text() -> str:
    return _(
        "I would like to be told by e-mail or push about what I switch on here; I can "
        "switch it off here at any time."
    )


@city_required
@login_required
def notification_settings(request):
    pairs = {f"{kind}:{channel}" for kind, channel in selectors.chosen(user=request.user)}
    if request.method == "POST":
        wanted = set()
        for value in request.POST.getlist("on"):
            kind, _sep, channel = value.partition(":")
            if kind in Kind.values and channel in Channel.values:
                wanted.add((kind, channel))
        source = consent_source(request)
        services.preferences_save(
            city=request.city, user=request.user, chosen=wanted, text=_consent_text(),
            source=source,
        )  # fmt: skip
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notification_settings")
    grid = [
        (label, [(f"{kind}:{channel}", channel_label, f"{kind}:{channel}" in pairs)
                 for channel, channel_label in Channel.choices])
        for kind, label in Kind.choices
    ]  # fmt: skip
    return render(
        request,
        "notifications/settings.html",
        {
            "grid": grid,
            "consent_text": _consent_text(),
            "push_key": vapid.application_server_key(),
            "worker": static("marktplatz/sw.js"),
            # One registration per town, so each town has its own subscription.
            "scope": f"{settings.STATIC_URL}marktplatz/{request.city.slug}/",
            "devices": selectors.devices_of(user=request.user),
        },
    )


def _json(request):
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


@city_required
@login_required
@require_POST
def push_subscribe(request):
    data = _json(request)
    if data is None:
        return JsonResponse({"error": _("The request is not JSON.")}, status=400)
    try:
        services.push_subscribe(
            city=request.city, user=request.user, subscription=data,
            user_agent=request.headers.get("User-Agent", ""),
        )  # fmt: skip
    except services.SubscriptionRefused as refused:
        return JsonResponse({"error": refused.message}, status=400)
    return JsonResponse({"ok": True}, status=201)


@city_required
@login_required
@require_POST
def push_unsubscribe(request):
    data = _json(request) or {}
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str):
        return JsonResponse({"error": _("Name the subscription's endpoint.")}, status=400)
    services.push_unsubscribe(user=request.user, endpoint=endpoint)
    return HttpResponse(status=204)
