"""Roles that can move money or change a whole town must use a second factor."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from marktplatz.accounts.selectors import user_has_totp, user_needs_two_factor

# Pages a person without TOTP may still reach: setting it up, logging out, e-mail.
EXEMPT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "mfa_reauthenticate",
        "account_email",
        "account_confirm_email",
        "account_email_verification_sent",
        "set_language",
        "brand_css",
        "healthz",
    }
)


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        if match is None or match.url_name in EXEMPT_URL_NAMES:
            return None
        if user_needs_two_factor(user=user) and not user_has_totp(user=user):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('mfa_activate_totp')}?{query}")
        return None
