"""Importing the operator's bank statement (camt.053): every booked credit that quotes
the payment reference of an open invoice pays it. Voucher orders, employer invoices and
the invoices of statements a business owes take part; a credit nobody claims is listed
for the operator to book by hand.

Importing the same statement twice changes nothing: what is paid stays paid once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from marktplatz.core.camt import Credit, statement_credits
from marktplatz.core.invoices import reference_clean, reference_in_text
from marktplatz.purses import invoicing as employer_invoicing
from marktplatz.settlement import payments as statement_payments
from marktplatz.vouchers import payments as voucher_payments

# Each takes (city, reference, amount_minor, currency, note) and returns (outcome, object)
# or (None, None) when the reference is not its own.
APPLIERS = [
    voucher_payments.credit_apply,
    employer_invoicing.credit_apply,
    statement_payments.credit_apply,
]


@dataclass
class CreditResult:
    credit: Credit
    outcome: str  # paid, already_paid, short, currency, unmatched
    target: Any = None


def bank_statement_import(*, city: Any, data: bytes, file_name: str) -> list[CreditResult]:
    """Apply the credits of a camt.053 file. StatementError when the file is not one."""
    results = []
    for credit in statement_credits(data):
        # Some payers type the reference into the free text instead.
        reference = reference_clean(credit.reference) or reference_in_text(credit.text)
        note = _("Bank statement %(file)s, entry %(entry)s") % {
            "file": file_name[:80],
            "entry": credit.entry or "-",
        }
        outcome, target = None, None
        for apply in APPLIERS:
            outcome, target = apply(
                city=city,
                reference=reference,
                amount_minor=credit.amount_minor,
                currency=credit.currency,
                note=note,
            )
            if outcome:
                break
        results.append(CreditResult(credit, outcome or "unmatched", target))
    return results
