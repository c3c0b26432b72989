"""Reading vouchers and online orders: the access helpers the voucher views go through."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from marktplatz.accounts.selectors import is_operator
from marktplatz.vouchers.models import Voucher, VoucherOrder


def access_voucher(*, user: Any, code: str) -> Voucher:
    """A voucher of the active city, for the operator. Another town's or an unknown code
    is a 404 for everybody (looked up first); somebody else gets 403."""
    voucher = Voucher.objects.filter(code=code).select_related("product").first()
    if voucher is None:
        raise Http404("no such voucher")
    if not is_operator(user=user):
        raise PermissionDenied
    return voucher


def access_order(*, code: str) -> VoucherOrder:
    """An online order of the active city: its unguessable code is the buyer's key."""
    order = VoucherOrder.objects.filter(code=code).select_related("product").first()
    if order is None:
        raise Http404("no such order")
    return order
