"""Invoices with a payment slip, and their e-invoice.

- ``payment_reference``: the reference the payer quotes, matched again in the bank
  statement: an ISO 11649 creditor reference (RF…), or for a Swiss QR-IBAN the 27-digit
  QR reference.
- ``invoice_pdf``: an A4 invoice (fpdf2) with an EPC QR code (GiroCode) for euro, or a
  Swiss QR-bill (qrbill) for francs, at its foot.
- ``invoice_xml``: the same invoice as Factur-X / ZUGFeRD XML (EN 16931 profile), built
  with drafthorse, which checks it against the official schema; ``invoice_pdf`` embeds
  it when asked (German towns).

Amounts are in minor units. The invoices here are for things outside the scope of VAT
(multi-purpose vouchers, employer benefits loaded as such vouchers), so every line is of
VAT category O.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.ch import esr

from marktplatz.core.money import format_money
from marktplatz.core.pdf import pdf_new, pdf_text


@dataclass
class Party:
    name: str
    street: str = ""
    postcode: str = ""
    town: str = ""
    country: str = "DE"
    email: str = ""


@dataclass
class InvoiceLine:
    label: str
    quantity: int
    unit_minor: int

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_minor


@dataclass
class Invoice:
    number: str
    issued: dt.date
    due: dt.date
    currency: str
    seller: Party
    buyer: Party
    iban: str
    bic: str
    reference: str
    lines: list[InvoiceLine] = field(default_factory=list)
    title: str = ""
    note: str = ""
    language: str = "de"
    # Why no VAT is charged (printed, and the e-invoice's exemption reason).
    vat_note: str = ""

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)


# Swiss QR-IBANs carry an institution id in this range; they take QR references only.
QR_IID = range(30000, 32000)


def is_qr_iban(iban: str) -> bool:
    return iban[:2] in ("CH", "LI") and iban[4:9].isdigit() and int(iban[4:9]) in QR_IID


def payment_reference(*, number: int, iban: str) -> str:
    """The structured reference for payment number ``number`` (unique per town's account)."""
    if is_qr_iban(iban):
        digits = f"{number:026d}"
        return digits + esr.calc_check_digit(digits)
    base = f"{number:08d}"
    check = 98 - int("".join(str(int(char, 36)) for char in base + "RF00")) % 97
    return f"RF{check:02d}{base}"


def reference_clean(text: str) -> str:
    """A reference as read from a bank statement or typed: no spaces, upper case."""
    return "".join(text.split()).upper()


def credit_outcome(
    *, currency: str, expected: str, amount_minor: int, total_minor: int, paid: bool, pay
) -> str:
    """What a bank credit does to the invoice its reference names: ``currency`` (another
    currency), ``already_paid``, ``short`` (less than the total), or ``pay()`` is called
    and the answer is ``paid`` (or ``already_paid`` when ``pay()`` found it paid)."""
    if currency != expected:
        return "currency"
    if paid:
        return "already_paid"
    if amount_minor < total_minor:
        return "short"
    return "paid" if pay() else "already_paid"


def reference_valid(reference: str) -> bool:
    return iso11649.is_valid(reference) or esr.is_valid(reference)


CANDIDATES = re.compile(r"RF\d\d(?: ?[0-9A-Z]){1,21}|\d(?: ?\d){26}", re.IGNORECASE)


def reference_in_text(text: str) -> str:
    """A valid reference typed into a transfer's free text ("Gutschein RF18 5390 0754
    7034, danke"), with or without spaces; "" when there is none."""
    for match in CANDIDATES.finditer(text):
        candidate = reference_clean(match.group())
        if candidate.isdigit():
            if len(candidate) == 27 and esr.is_valid(candidate):
                return candidate
            continue
        # The match may run into the next word: the longest valid prefix wins.
        for end in range(len(candidate), 4, -1):
            if iso11649.is_valid(candidate[:end]):
                return candidate[:end]
    return ""


def _amount(minor: int) -> Decimal:
    return Decimal(minor) / 100


def _money(invoice: Invoice, minor: int) -> str:
    return format_money(minor, invoice.currency, f"{invoice.language}_{invoice.seller.country}")


def _swiss_bill_svg(invoice: Invoice) -> bytes:
    from qrbill import QRBill

    seller, buyer = invoice.seller, invoice.buyer
    bill = QRBill(
        account=invoice.iban,
        creditor={
            "name": seller.name[:70],
            "street": seller.street[:70],
            "pcode": seller.postcode or "0000",
            "city": seller.town[:35],
            "country": seller.country,
        },
        debtor={
            "name": buyer.name[:70],
            "street": buyer.street[:70],
            "pcode": buyer.postcode,
            "city": buyer.town[:35],
            "country": buyer.country,
        }
        if buyer.postcode and buyer.town
        else None,
        amount=f"{_amount(invoice.total_minor):.2f}",
        currency=invoice.currency,
        reference_number=invoice.reference,
        additional_information=invoice.number,
        language=invoice.language if invoice.language in ("de", "fr", "it") else "en",
    )
    out = io.StringIO()
    bill.as_svg(out)
    return out.getvalue().encode()


def _epc_code(invoice: Invoice):
    import segno.helpers

    return segno.helpers.make_epc_qr(
        name=invoice.seller.name[:70],
        iban=invoice.iban,
        bic=invoice.bic or None,
        amount=_amount(invoice.total_minor),
        reference=invoice.reference,
    )


def epc_qr_svg(invoice: Invoice) -> str:
    """The GiroCode as inline SVG (euro invoices), for the page that shows the order."""
    return _epc_code(invoice).svg_inline(scale=4, dark="#000", light="#fff", border=2)


def _epc_qr(invoice: Invoice) -> io.BytesIO:
    code = _epc_code(invoice)
    png = io.BytesIO()
    code.save(png, kind="png", scale=6, border=1)
    png.seek(0)
    return png


def invoice_pdf(invoice: Invoice, *, e_invoice: bool = False) -> bytes:
    """The invoice as PDF; with ``e_invoice`` its Factur-X XML is embedded (ZUGFeRD)."""
    pdf = pdf_new(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(pdf_text(f"{invoice.title or _('Invoice')} {invoice.number}"))
    pdf.set_creator("Marktplatz")
    pdf.add_page()
    seller, buyer = invoice.seller, invoice.buyer
    pdf.set_font("Helvetica", "", 8)
    pdf.set_xy(20, 15)
    pdf.cell(0, 4, pdf_text(f"{seller.name} · {seller.street} · {seller.postcode} {seller.town}"))
    pdf.set_font("Helvetica", "", 11)
    pdf.set_xy(20, 30)
    address = [buyer.name, buyer.street, f"{buyer.postcode} {buyer.town}".strip(), buyer.email]
    pdf.multi_cell(90, 5, pdf_text("\n".join(line for line in address if line)))
    pdf.set_xy(125, 30)
    facts = [
        (_("Invoice number"), invoice.number),
        (_("Date"), invoice.issued.strftime("%d.%m.%Y")),
        (_("Payable by"), invoice.due.strftime("%d.%m.%Y")),
        (_("Payment reference"), invoice.reference),
    ]
    for label, value in facts:
        pdf.set_x(125)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(32, 5, pdf_text(label))
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, pdf_text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(20, 65)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, pdf_text(f"{invoice.title or _('Invoice')} {invoice.number}"))
    pdf.set_xy(20, 80)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(100, 6, pdf_text(_("Description")), border="B")
    pdf.cell(15, 6, pdf_text(_("Qty")), border="B", align="R")
    pdf.cell(25, 6, pdf_text(_("Price")), border="B", align="R")
    pdf.cell(30, 6, pdf_text(_("Amount")), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for line in invoice.lines[:25]:
        pdf.set_x(20)
        pdf.cell(100, 6, pdf_text(line.label[:60]))
        pdf.cell(15, 6, str(line.quantity), align="R")  # -1: a credit
        pdf.cell(25, 6, pdf_text(_money(invoice, line.unit_minor)), align="R")
        pdf.cell(30, 6, pdf_text(_money(invoice, line.total_minor)), align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    if len(invoice.lines) > 25:
        pdf.set_x(20)
        more = sum(line.total_minor for line in invoice.lines[25:])
        pdf.cell(140, 6, pdf_text(_("%(count)d more lines") % {"count": len(invoice.lines) - 25}))
        pdf.cell(30, 6, pdf_text(_money(invoice, more)), align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_x(20)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 8, pdf_text(_("Total")), border="T")
    pdf.cell(30, 8, pdf_text(_money(invoice, invoice.total_minor)), border="T",
             align="R", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font("Helvetica", "", 9)
    pdf.set_x(20)
    text = invoice.note + "\n" if invoice.note else ""
    text += (invoice.vat_note or _("Not subject to VAT (multi-purpose voucher).")) + "\n"
    text += _("Please transfer the amount to %(holder)s, IBAN %(iban)s, quoting %(ref)s.") % {
        "holder": seller.name,
        "iban": invoice.iban,
        "ref": invoice.reference,
    }
    pdf.multi_cell(170, 5, pdf_text(text))
    if invoice.currency == "CHF" or is_qr_iban(invoice.iban):
        pdf.image(io.BytesIO(_swiss_bill_svg(invoice)), x=0, y=297 - 105, w=210)
    else:
        pdf.set_xy(20, 235)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 5, pdf_text(_("Pay by scanning with your banking app (GiroCode):")))
        pdf.image(_epc_qr(invoice), x=20, y=242, w=40, h=40)
    document = bytes(pdf.output())
    if not e_invoice:
        return document
    from drafthorse.pdf import attach_xml

    return attach_xml(document, invoice_xml(invoice), lang=invoice.language)


def invoice_xml(invoice: Invoice) -> bytes:
    """Factur-X / ZUGFeRD XML of the EN 16931 profile, checked against its schema."""
    from drafthorse.models.accounting import ApplicableTradeTax
    from drafthorse.models.document import Document
    from drafthorse.models.note import IncludedNote
    from drafthorse.models.payment import PaymentMeans, PaymentTerms
    from drafthorse.models.tradelines import LineItem

    doc = Document()
    doc.context.guideline_parameter.id = "urn:cen.eu:en16931:2017"
    doc.header.id = invoice.number
    doc.header.type_code = "380"
    doc.header.issue_date_time = invoice.issued
    if invoice.note:
        note = IncludedNote()
        note.content = invoice.note
        doc.header.notes.add(note)
    for party, target in (
        (invoice.seller, doc.trade.agreement.seller),
        (invoice.buyer, doc.trade.agreement.buyer),
    ):
        target.name = party.name
        target.address.line_one = party.street
        target.address.postcode = party.postcode
        target.address.city_name = party.town
        target.address.country_id = party.country
        if party.email:
            target.electronic_address.uri_ID = ("EM", party.email)
    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = invoice.reference
    means = PaymentMeans()
    means.type_code = "58"  # SEPA credit transfer
    means.payee_account.iban = invoice.iban
    if invoice.bic:
        means.payee_institution.bic = invoice.bic
    settlement.payment_means.add(means)
    terms = PaymentTerms()
    terms.due = invoice.due
    settlement.terms.add(terms)
    total = _amount(invoice.total_minor)
    for number, line in enumerate(invoice.lines, start=1):
        item = LineItem()
        item.document.line_id = str(number)
        item.product.name = line.label
        item.agreement.net.amount = _amount(line.unit_minor)
        item.delivery.billed_quantity = (Decimal(line.quantity), "C62")  # C62: one (unit)
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = "O"
        item.settlement.monetary_summation.total_amount = _amount(line.total_minor)
        doc.trade.items.add(item)
    tax = ApplicableTradeTax()
    tax.calculated_amount = Decimal("0.00")
    tax.basis_amount = total
    tax.type_code = "VAT"
    tax.category_code = "O"
    tax.exemption_reason = invoice.vat_note or "Not subject to VAT"
    tax.exemption_reason_code = "VATEX-EU-O"
    settlement.trade_tax.add(tax)
    summary = settlement.monetary_summation
    summary.line_total = total
    summary.charge_total = Decimal("0.00")
    summary.allowance_total = Decimal("0.00")
    summary.tax_basis_total = total
    summary.tax_total = (Decimal("0.00"), invoice.currency)
    summary.grand_total = total
    summary.due_amount = total
    return doc.serialize(schema="FACTUR-X_EN16931")
