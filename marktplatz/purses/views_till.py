"""The till's day summary: card bookings, city vouchers and card purse payments together."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from marktplatz.accounts.permissions import city_required
from marktplatz.merchants.selectors import access_merchant
from marktplatz.purses.selectors import till_day


@city_required
@login_required
def pos_today(request, code):
    merchant = access_merchant(user=request.user, code=code)
    # The town's day: the middleware has activated the town's time zone.
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return render(
        request,
        "loyalty/pos_today.html",
        {"merchant": merchant, "day": till_day(merchant=merchant, since=since)},
    )
