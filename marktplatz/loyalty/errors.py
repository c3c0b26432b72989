"""Why a booking at the counter is refused; each maps to an HTTP status and a message."""

from django.utils.translation import gettext_lazy as _

from marktplatz.ledger.errors import LedgerError


class LoyaltyError(LedgerError):
    code = "booking_refused"
    status = 422


class CardNotFound(LoyaltyError):
    code = "card_not_found"
    status = 404
    default_message = _("No card with this number or code in this town.")


class CardBlocked(LoyaltyError):
    code = "card_blocked"
    status = 409
    default_message = _("This card is blocked.")


class MerchantNotAccepting(LoyaltyError):
    code = "merchant_not_accepting"
    status = 409
    default_message = _("This business does not accept the card at the moment.")


class BadAmount(LoyaltyError):
    code = "bad_amount"
    status = 422
    default_message = _("The amount is not valid.")


class WrongCurrency(LoyaltyError):
    code = "wrong_currency"
    status = 422
    default_message = _("This town books in another currency.")


class NotRefundable(LoyaltyError):
    code = "not_refundable"
    status = 409
    default_message = _("This booking cannot be refunded.")


class RedemptionRefused(LoyaltyError):
    code = "redemption_refused"
    status = 409
    default_message = _("Points cannot be redeemed.")


class OfferUnavailable(LoyaltyError):
    code = "offer_unavailable"
    status = 409
    default_message = _("This offer is not a live offer of this business.")
