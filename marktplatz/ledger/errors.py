"""Ledger errors: a machine-readable code and a message for people."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class LedgerError(Exception):
    code = "ledger_error"
    status = 400

    def __init__(self, message=None, **details):
        self.message = message or self.default_message
        self.details = details
        super().__init__(str(self.message))

    default_message = _("The booking is not possible.")


class InvalidTransfer(LedgerError):
    code = "invalid_transfer"
    status = 400
    default_message = _("The booking is not valid.")


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    status = 409
    default_message = _("The balance is not sufficient.")


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    status = 409
    default_message = _("This idempotency key was already used for a different request.")


class AlreadyResolved(LedgerError):
    code = "already_resolved"
    status = 409
    default_message = _("This hold was already posted, voided or expired.")
