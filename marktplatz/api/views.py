"""A merchant's terminal keys for cash-register integrations."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.permissions import city_required
from marktplatz.api.models import TerminalKey, WebhookDelivery, WebhookEndpoint
from marktplatz.api.selectors import access_terminal_key
from marktplatz.api.services import terminal_key_create, terminal_key_revoke
from marktplatz.api.webhooks import endpoint_create, validate_target
from marktplatz.merchants.selectors import access_merchant


class KeyForm(forms.Form):
    name = forms.CharField(label=_("Name of the till"), max_length=80)


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Webhook address"), max_length=500, assume_scheme="https")

    def clean_url(self):
        url = self.cleaned_data["url"]
        validate_target(url)
        return url


@city_required
@login_required
def keys(request, code):
    merchant = access_merchant(user=request.user, code=code, manage=True)
    form = KeyForm(request.POST if "name" in request.POST else None)
    hook_form = WebhookForm(request.POST if "url" in request.POST else None)
    new_key = None
    if request.method == "POST" and form.is_bound and form.is_valid():
        _key, new_key = terminal_key_create(
            merchant=merchant, name=form.cleaned_data["name"], actor=request.user
        )
        form = KeyForm()
    if request.method == "POST" and hook_form.is_bound and hook_form.is_valid():
        endpoint_create(merchant=merchant, url=hook_form.cleaned_data["url"], actor=request.user)
        return redirect("terminal_keys", code=merchant.code)
    return render(
        request,
        "api/keys.html",
        {
            "merchant": merchant,
            "form": form,
            "new_key": new_key,
            "keys": TerminalKey.objects.filter(merchant=merchant, revoked_at__isnull=True),
            "hook_form": hook_form,
            "endpoints": WebhookEndpoint.objects.filter(merchant=merchant, is_active=True),
            "deliveries": WebhookDelivery.objects.filter(endpoint__merchant=merchant)[:20],
            "api_base": request.build_absolute_uri("/")[:-1]
            + request.path.split("/merchant/")[0]
            + "/api/pos/v1/",
        },
    )


@city_required
@login_required
@require_POST
def key_revoke(request, code, key):
    merchant = access_merchant(user=request.user, code=code, manage=True)
    found = access_terminal_key(merchant=merchant, code=key)
    terminal_key_revoke(key=found, actor=request.user)
    return redirect("terminal_keys", code=merchant.code)
