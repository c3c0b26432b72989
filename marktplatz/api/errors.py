"""The POS API's errors: every code it answers, the JSON body, the exception handlers,
and the schema's description of each error status.

Every answer that is not a success is ``{"error": code, "message": text}``, the text in
the town's language. Errors outside the API's handlers (unknown paths, wrong methods,
errors in a middleware) get the same body from ``marktplatz.api.middleware``.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from marktplatz.api.middleware import reason
from marktplatz.core.throttle import TooManyAttempts
from marktplatz.ledger.errors import LedgerError

log = logging.getLogger("marktplatz.api")
server_errors = logging.getLogger("django.request")

# Every value of ``error`` the API answers (docs/api.md explains each; a test holds the
# list, the schema and the docs together).
ERROR_CODES = [
    "bad_request",
    "invalid_transfer",
    "ledger_error",
    "unauthorized",
    "not_found",
    "card_not_found",
    "voucher_not_found",
    "method_not_allowed",
    "card_blocked",
    "insufficient_funds",
    "idempotency_conflict",
    "not_refundable",
    "redemption_refused",
    "merchant_not_accepting",
    "reward_unavailable",
    "offer_unavailable",
    "voucher_expired",
    "voucher_insufficient",
    "voucher_on_card",
    "purse_refused",
    "payload_too_large",
    "bad_amount",
    "wrong_currency",
    "invalid_request",
    "booking_refused",
    "voucher_refused",
    "too_many_attempts",
    "server_error",
    "try_again",
]


class ErrorOut(Schema):
    error: str = Field(
        description="machine-readable reason, e.g. insufficient_funds",
        json_schema_extra={"enum": ERROR_CODES},
    )
    message: str = Field(description="the reason in the town's language")


# What each error status means, with the codes it carries (docs/api.md has the same table).
ERROR_STATUSES = {
    400: "`bad_request` (Idempotency-Key missing or malformed), `invalid_request` (a NUL "
    "character), `invalid_transfer`, `ledger_error`",
    401: "`unauthorized`: no key, an unknown or revoked key, a key of another town",
    404: "`card_not_found`, `voucher_not_found` (also a used-up voucher), `not_found`",
    409: "`card_blocked`, `insufficient_funds`, `idempotency_conflict`, `not_refundable`, "
    "`redemption_refused`, `merchant_not_accepting`, `reward_unavailable`, `offer_unavailable`, "
    "`voucher_expired`, "
    "`voucher_insufficient`, `voucher_on_card`, `purse_refused`: refused, nothing changed",
    413: "`payload_too_large`: a body over the limit (64 KB)",
    422: "`bad_amount`, `wrong_currency`, `invalid_request`, `booking_refused`, "
    "`voucher_refused`: an invalid amount or body",
    429: "`too_many_attempts`: too many unknown cards or codes at this business (Retry-After)",
    500: "`server_error`: send the request again with the same Idempotency-Key",
    503: "`try_again`: collided with another booking, nothing booked (Retry-After)",
}


class PosApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """The schema, with each error status described by the codes it carries."""
        schema = super().get_openapi_schema(**kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
                for status, answer in operation.get("responses", {}).items():
                    if int(status) in ERROR_STATUSES:
                        answer["description"] = ERROR_STATUSES[int(status)]
        return schema


# The error answers every operation declares in the schema.
ERRORS = {status: ErrorOut for status in ERROR_STATUSES}

# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled
# back whole, so the same request with the same Idempotency-Key may simply be sent again.
RETRYABLE = {"40P01", "40001"}


def register_error_handlers(api: NinjaAPI) -> None:
    """Answer every exception of an endpoint with the JSON error body."""

    def answer(request, status: int, code: str, message) -> object:
        return api.create_response(request, {"error": code, "message": str(message)}, status=status)

    def ledger_error(request, exc: LedgerError):
        return answer(request, exc.status, exc.code, exc.message)

    def validation_error(request, exc: NinjaValidationError):
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:])}: {e.get('msg')}" for e in exc.errors
        )
        message = _("The request is not valid: %(fields)s") % {"fields": fields}
        return answer(request, 422, "invalid_request", message)

    def http_error(request, exc: HttpError):
        code = {404: "not_found", 429: "too_many_attempts"}.get(exc.status_code, "bad_request")
        return answer(request, exc.status_code, code, exc)

    def auth_error(request, exc: AuthenticationError):
        return answer(
            request, 401, "unauthorized", _("A valid terminal key of this town is required.")
        )

    def not_found(request, exc: Http404):
        return answer(request, 404, *reason(404))

    def too_many_attempts(request, exc: TooManyAttempts):
        response = answer(request, 429, exc.code, exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response

    def server_error(request, exc: Exception):
        """Anything unexpected: logged like Django logs a 500, answered as JSON."""
        cause = getattr(exc, "__cause__", None)
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(exc, OperationalError) and sqlstate in RETRYABLE:
            log.warning("retryable database error on %s: %s", request.path, exc)
            response = answer(
                request,
                503,
                "try_again",
                _("The booking collided with another one. Please send it again."),
            )
            response["Retry-After"] = "1"
            return response
        server_errors.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return answer(request, 500, *reason(500))

    for exc_class, handler in [
        (LedgerError, ledger_error),
        (NinjaValidationError, validation_error),
        (HttpError, http_error),
        (AuthenticationError, auth_error),
        (Http404, not_found),
        (TooManyAttempts, too_many_attempts),
        (Exception, server_error),
    ]:
        api.add_exception_handler(exc_class, handler)
