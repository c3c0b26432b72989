"""Reading the credits of an ISO 20022 bank statement (camt.053, any version 001.02 to
001.13; camt.054 notifications read the same way).

Only booked credits are returned, each with its amount, currency, booking date, the
payer's name and the remittance information: the structured creditor reference
(``RmtInf/Strd/CdtrRefInf/Ref``) where given, else the unstructured text. The file is
parsed with defusedxml (no entities, no external references).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

NAMESPACE = re.compile(r"^\{urn:iso:std:iso:20022:tech:xsd:camt\.05[34]\.001\.\d\d\}")
MAX_BYTES = 20 * 1024 * 1024


class StatementError(ValueError):
    """The file is not a readable camt.053 statement; the message says why."""


@dataclass(frozen=True)
class Credit:
    amount_minor: int
    currency: str
    booked_on: dt.date | None
    payer: str
    reference: str  # structured creditor reference, or ""
    text: str  # unstructured remittance information
    entry: str  # the bank's reference of the entry (for the report)


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _find(element: Element, path: str) -> Element | None:
    """``path`` of local names separated by /, whatever the namespace."""
    nodes = [element]
    for name in path.split("/"):
        nodes = [child for node in nodes for child in node if _local(child) == name]
        if not nodes:
            return None
    return nodes[0]


def _find_all(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child) == name]


def _text(element: Element | None, path: str = "") -> str:
    node = _find(element, path) if (element is not None and path) else element
    return (node.text or "").strip() if node is not None else ""


def _minor(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatementError(_("An amount in the statement is not a number: %s") % text) from None
    return int((value * 100).to_integral_value())


def _date(entry: Element) -> dt.date | None:
    text = _text(entry, "BookgDt/Dt") or _text(entry, "BookgDt/DtTm")[:10]
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def statement_credits(data: bytes) -> list[Credit]:
    """The booked credits of a camt.053 file. StatementError when it is not one."""
    if len(data) > MAX_BYTES:
        raise StatementError(_("The file is too large (at most 20 MB)."))
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError):
        raise StatementError(_("The file is not readable XML.")) from None
    if not NAMESPACE.match(root.tag):
        raise StatementError(_("The file is not a camt.053 bank statement (ISO 20022)."))
    message = root[0] if len(root) else None
    if message is None:
        raise StatementError(_("The statement is empty."))
    credits: list[Credit] = []
    for statement in _find_all(message, "Stmt") + _find_all(message, "Ntfctn"):
        for entry in _find_all(statement, "Ntry"):
            status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
            if _text(entry, "CdtDbtInd") != "CRDT" or status != "BOOK":
                continue
            if _text(entry, "RvslInd") == "true":
                continue
            amount = _find(entry, "Amt")
            details = [
                node
                for entry_details in _find_all(entry, "NtryDtls")
                for node in _find_all(entry_details, "TxDtls")
            ]
            for detail in details or [None]:
                node_amount = _find(detail, "Amt") if detail is not None else None
                if node_amount is None and detail is not None:
                    node_amount = _find(detail, "AmtDtls/TxAmt/Amt")
                if node_amount is None or len(details) <= 1:
                    node_amount = amount
                if node_amount is None:
                    raise StatementError(_("An entry of the statement has no amount."))
                remittance = _find(detail, "RmtInf") if detail is not None else None
                credits.append(
                    Credit(
                        amount_minor=_minor(_text(node_amount)),
                        currency=node_amount.get("Ccy", ""),
                        booked_on=_date(entry),
                        payer=_text(detail, "RltdPties/Dbtr/Nm")
                        or _text(detail, "RltdPties/Dbtr/Pty/Nm")
                        if detail is not None
                        else "",
                        reference=_text(remittance, "Strd/CdtrRefInf/Ref")
                        if remittance is not None
                        else "",
                        text=" ".join(
                            _text(node) for node in _find_all(remittance, "Ustrd")
                        ).strip()
                        if remittance is not None
                        else "",
                        entry=_text(entry, "AcctSvcrRef") or _text(entry, "NtryRef"),
                    )
                )
    return credits
