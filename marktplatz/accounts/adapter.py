from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.urls import reverse

from marktplatz.core.clientip import client_address


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        city = getattr(request, "city", None)
        if commit and city is not None:
            # Signing up on a town's pages makes you a citizen member of that town.
            from marktplatz.accounts.services import citizen_join

            with transaction.atomic():
                citizen_join(city=city, user=user)
        return user

    def format_email_subject(self, subject):
        """Prefix subjects with the town's name instead of the host name."""
        from allauth.core import context

        city = getattr(context.request, "city", None)
        return f"[{city.name if city else 'Marktplatz'}] {subject}"

    def get_client_ip(self, request):
        """allauth's rate limits (login, signup, codes) count the same address as ours."""
        return client_address(request) or super().get_client_ip(request)

    def get_login_redirect_url(self, request):
        return reverse("home")

    def get_email_verification_redirect_url(self, email_address):
        return reverse("home")
