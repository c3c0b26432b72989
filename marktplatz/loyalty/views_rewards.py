"""Rewards for points and member events: the citizen's side, the merchant's, the operator's."""

from __future__ import annotations

import contextlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from marktplatz.accounts.models import OPERATOR_KINDS
from marktplatz.accounts.permissions import city_required, role_required
from marktplatz.core.qr import qr_svg
from marktplatz.core.throttle import TooManyAttempts, merchant_guard
from marktplatz.ledger.errors import LedgerError
from marktplatz.loyalty import rewards, rules, selectors, services
from marktplatz.loyalty.forms import EventForm, FulfilForm, RewardForm
from marktplatz.loyalty.models import MemberEvent, Reward, RewardClaim
from marktplatz.loyalty.views import join_page
from marktplatz.merchants.selectors import access_merchant


def _member(request):
    """The visitor's membership, or None (looking never enrols anybody)."""
    return selectors.member_of(city=request.city, user=request.user)


@city_required
@login_required
def rewards_page(request):
    member = _member(request)
    if member is None:
        return join_page(request)
    claims = list(
        RewardClaim.objects.filter(member=member)
        .select_related("reward__merchant")
        .order_by("-created_at")[:20]
    )
    events = list(
        MemberEvent.objects.filter(is_published=True, starts_at__gte=timezone.now()).order_by(
            "starts_at"
        )[:20]
    )
    going = set(member.rsvps.values_list("event_id", flat=True))
    return render(
        request,
        "loyalty/rewards.html",
        {
            "summary": selectors.member_summary(member=member),
            "rewards": Reward.objects.filter(is_active=True).select_related("merchant"),
            "claims": [
                (c, qr_svg(c.token, scale=5) if c.status == "issued" else "") for c in claims
            ],
            "events": [(e, e.pk in going, e.rsvps.count()) for e in events],
            "key": uuid.uuid4().hex,
        },
    )


@city_required
@login_required
@require_POST
def reward_claim(request, code):
    reward = selectors.access_reward(code=code)
    member = _member(request)
    if member is None:
        return redirect("card_join")
    key = (request.POST.get("key") or "")[:64]
    try:
        rewards.reward_claim(
            member=member, reward=reward, idempotency_key=f"web:{member.code}:{key}"
        )
    except LedgerError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Done! Show the code below where you collect the reward."))
    return redirect("rewards")


@city_required
@login_required
@require_POST
def event_rsvp(request, code):
    event = selectors.access_event(code=code)
    member = _member(request)
    if member is None:
        return redirect("card_join")
    if request.POST.get("cancel"):
        rewards.event_cancel(event=event, member=member)
        messages.success(request, _("Your place is given back."))
    else:
        try:
            rewards.event_rsvp(event=event, member=member)
        except LedgerError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Your place is booked."))
    return redirect("rewards")


def _manage(request, *, merchant, data):
    """Reward offers and hand-outs of a merchant (or the operator's, merchant=None).

    Returns a redirect after a successful POST, else the template context.
    """
    reward_form = RewardForm(prefix="reward")
    fulfil_form = FulfilForm(prefix="fulfil")
    if data is not None and "fulfil-token" in data:
        fulfil_form = FulfilForm(data, prefix="fulfil")
        if fulfil_form.is_valid():
            # A business's unknown codes count against it, its API keys included.
            guard = (
                merchant_guard(
                    merchant_id=merchant.pk, misses=(rewards.RewardUnavailable,), label="web"
                )
                if merchant is not None
                else contextlib.nullcontext()
            )
            try:
                with guard:
                    claim = rewards.reward_fulfil(
                        token=fulfil_form.cleaned_data["token"],
                        merchant=merchant,
                        actor=request.user,
                    )
            except TooManyAttempts as error:
                fulfil_form.add_error("token", str(error.message))
            except LedgerError as error:
                fulfil_form.add_error("token", str(error.message))
            else:
                messages.success(request, _("Hand out: %(title)s.") % {"title": claim.reward.title})
                return redirect(request.path)
    elif data is not None and "reward-title" in data:
        reward_form = RewardForm(data, prefix="reward")
        if reward_form.is_valid():
            services.reward_offer(
                city=request.city,
                reward=reward_form.save(commit=False),
                merchant=merchant,
                actor=request.user,
            )
            messages.success(request, _("The reward is offered."))
            return redirect(request.path)
    return {
        "reward_form": reward_form,
        "fulfil_form": fulfil_form,
        "rewards": Reward.objects.filter(merchant=merchant).order_by("-is_active", "points"),
    }


@city_required
@login_required
def merchant_rewards(request, code):
    merchant = access_merchant(user=request.user, code=code)
    programme = services.programme_for(city=request.city)
    # Cashiers hand rewards out; the rate and the offer are the owner's and managers'.
    can_manage = rules.may_manage(role=rules.till_role(user=request.user, merchant=merchant))
    rate_error = None
    data = request.POST if request.method == "POST" else None
    if data is not None and not can_manage and ("rate" in data or "reward-title" in data):
        raise PermissionDenied
    if data is not None and "rate" in data:
        try:
            services.merchant_rate_set(
                merchant=merchant, points_per_unit=int(data["rate"]), actor=request.user
            )
        except ValueError:
            rate_error = _("Enter a whole number.")
        except LedgerError as error:
            rate_error = error.message
        else:
            messages.success(request, _("Your earning rate is saved."))
            return redirect(request.path)
        data = None
    result = _manage(request, merchant=merchant, data=data)
    if not isinstance(result, dict):
        return result
    return render(
        request,
        "loyalty/manage_rewards.html",
        {
            "merchant": merchant,
            "can_manage": can_manage,
            "rate": services.rate_for(programme=programme, merchant=merchant),
            "rate_error": rate_error,
            "rate_range": range(
                programme.merchant_min_points_per_unit, programme.merchant_max_points_per_unit + 1
            ),
            **result,
        },
    )


@role_required(*OPERATOR_KINDS)
def operator_rewards(request):
    data = request.POST if request.method == "POST" else None
    event_form = EventForm(prefix="event")
    if data is not None and "event-title" in data:
        event_form = EventForm(data, prefix="event")
        if event_form.is_valid():
            services.event_publish(
                city=request.city, event=event_form.save(commit=False), actor=request.user
            )
            messages.success(request, _("The event is published."))
            return redirect("operator_rewards")
        data = None
    result = _manage(request, merchant=None, data=data)
    if not isinstance(result, dict):
        return result
    events = MemberEvent.objects.order_by("-starts_at")[:30]
    return render(
        request,
        "loyalty/manage_rewards.html",
        {"event_form": event_form, "events": events, "can_manage": True, **result},
    )
