"""Why a voucher sale or redemption is refused; each maps to an HTTP status and a message."""

from django.utils.translation import gettext_lazy as _

from marktplatz.ledger.errors import LedgerError


class VoucherError(LedgerError):
    code = "voucher_refused"
    status = 422


class VoucherNotFound(VoucherError):
    # The same answer for a wrong code and a code of another town: nothing to learn.
    code = "voucher_not_found"
    status = 404
    default_message = _("No voucher with this code in this town.")


class VoucherExpired(VoucherError):
    code = "voucher_expired"
    status = 409
    default_message = _("This voucher has expired.")


class VoucherInsufficient(VoucherError):
    code = "voucher_insufficient"
    status = 409
    default_message = _("The voucher's balance is not sufficient.")


class VoucherBadValue(VoucherError):
    code = "bad_amount"
    status = 422
    default_message = _("The amount is not valid.")


class VoucherNotAccepted(VoucherError):
    code = "merchant_not_accepting"
    status = 409
    default_message = _("This business does not accept vouchers at the moment.")


class VoucherOnCard(VoucherError):
    code = "voucher_on_card"
    status = 409
    default_message = _("This voucher is loaded onto a city card: pay with the card.")
