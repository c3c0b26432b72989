"""The main navigation: the citizen menu, or the back office of the person's roles.

Operators, merchant staff and employer admins get links to what their role may do in
the town (a cashier: the till and its pages; the owner and managers also the business and
its statements); everybody else keeps the citizen menu. Error pages ask for the public
menu only (``public_only``): a page for a failed request runs no query.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from marktplatz.accounts.models import MERCHANT_KINDS, OPERATOR_KINDS, RoleKind
from marktplatz.accounts.selectors import manages_business, roles_for

register = template.Library()


def _link(label: str, name: str, *args: Any) -> dict[str, str]:
    return {"label": label, "url": reverse(name, args=args)}


def _operator_links(*, admin: bool) -> list[dict[str, str]]:
    links = [
        _link(_("Start"), "home"),
        _link(_("Businesses"), "operator_merchants"),
        _link(_("City card"), "operator_card"),
        _link(_("City vouchers"), "operator_vouchers"),
        _link(_("Offers"), "operator_offers"),
        _link(_("Reported messages"), "operator_chat_reports"),
        _link(_("Newsletter"), "operator_newsletter"),
        _link(_("Settlement"), "operator_settlement"),
        _link(_("Employers"), "operator_employers"),
        _link(_("Staff"), "town_staff"),
    ]
    if admin:
        links.append(_link(_("Audit log"), "audit_log"))
    return links


def _merchant_links(role: Any) -> list[dict[str, str]]:
    code = role.merchant.code
    links = []
    if role.merchant.is_public:
        links += [
            _link(_("Till"), "pos", code),
            _link(_("Today's bookings"), "pos_today", code),
            _link(_("Take a city voucher"), "merchant_vouchers", code),
            _link(_("Card purse payment"), "merchant_card_payment", code),
            _link(_("Inbox"), "inbox", code),
            _link(_("Orders"), "order_board", code),
            _link(_("Products"), "product_list", code),
            {**_link(_("Notifications"), "notification_list"), "unread": True},
        ]
    links.append(_link(_("Rewards"), "merchant_rewards", code))
    if manages_business(role):
        links += [
            _link(_("Business"), "merchant_home", code),
            _link(_("Offers"), "merchant_offers", code),
            _link(_("Newsletter"), "merchant_newsletter", code),
            _link(_("Statements"), "merchant_statements", code),
        ]
    return links


def navigation(*, user: Any, city: Any) -> dict[str, Any]:
    """``groups`` of links ({title, links}) for the back office, empty for the citizen menu;
    ``citizen``: whether the person holds the town's citizen role as well."""
    if city is None or not user.is_authenticated:
        return {"groups": [], "citizen": False}
    roles = roles_for(user=user)
    kinds = {role.kind for role in roles}
    groups = []
    if kinds & OPERATOR_KINDS:
        links = _operator_links(admin=RoleKind.OPERATOR_ADMIN in kinds)
        groups.append({"title": _("Town management"), "links": links})
    merchant_roles = [r for r in roles if r.kind in MERCHANT_KINDS]
    for role in merchant_roles:
        groups.append({"title": role.merchant.name, "links": _merchant_links(role)})
    for role in roles:
        if role.kind == RoleKind.EMPLOYER_ADMIN:
            links = [_link(_("Employer benefits"), "employer_home", role.employer.code)]
            groups.append({"title": role.employer.name, "links": links})
    if groups and not kinds & OPERATOR_KINDS:
        groups[0]["links"].insert(0, _link(_("Start"), "home"))
    return {"groups": groups, "citizen": RoleKind.CITIZEN in kinds}


@register.inclusion_tag("includes/nav.html", takes_context=True)
def main_nav(context: template.Context, public_only: bool = False) -> dict[str, Any]:
    request = context.get("request")
    city = context.get("city")
    user = getattr(request, "user", None) if request is not None else None
    if public_only or user is None:
        nav = {"groups": [], "citizen": False}
        signed_in = False
    else:
        nav = navigation(user=user, city=city)
        signed_in = user.is_authenticated
    return {
        **nav,
        "city": city,
        "path": request.path if request is not None else "",
        "signed_in": signed_in,
        "public_only": public_only,
        "csrf_token": context.get("csrf_token"),
        "notifications_unread": context.get("notifications_unread", 0),
    }
