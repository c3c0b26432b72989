"""Invoices with a payment slip, and their e-invoice.

- ``payment_reference``: the reference the payer quotes, matched again in the bank
  statement: an ISO 11649 creditor reference (RF…), or for a Swiss QR-IBAN the 27-digit
  QR reference.
- ``invoice_pdf``: an A4 invoice (fpdf2, PDF/A-3B with the embedded Open Sans font and
  an sRGB output intent): the town's logo and colour, sender and recipient blocks, number,
  dates, lines, and an EPC QR code (GiroCode) for euro or a Swiss QR-bill (qrbill) for
  francs at its foot; or, paid by direct debit, the collection date and mandate.
- ``invoice_xml``: the same invoice as Factur-X / ZUGFeRD XML (EN 16931 profile), built
  with drafthorse, which checks it against the official schema; ``invoice_pdf`` embeds
  it when asked (German towns) and the seller has a register number (rule BR-CO-26).
  The tests run every kind of invoice through the Factur-X EN 16931 schematron.

Amounts are in minor units. The invoices here are for things outside the scope of VAT
(multi-purpose vouchers, employer benefits loaded as such vouchers), so every line is of
VAT category O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.ch import esr

from marktplatz.core.money import format_money
from marktplatz.core.pdf import FONT, pdf_archive, pdf_new, pdf_text


@dataclass
class Party:
    name: str
    street: str = ""
    postcode: str = ""
    town: str = ""
    country: str = "DE"
    email: str = ""
    # Commercial register or business id (EN 16931 BT-30): names the seller (BR-CO-26).
    registration_id: str = ""
    # The seller's look: its logo (image bytes) and colour (#rrggbb) head the page.
    logo: bytes = b""
    colour: str = "#1d4f91"


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
    # Paid by SEPA direct debit: the day it is collected, the mandate, the creditor id
    # and the payer's account. Without a collection date the invoice is paid by transfer.
    collection_date: dt.date | None = None
    mandate: str = ""
    creditor_id: str = ""
    debtor_iban: str = ""
    # How to pay, as printed; empty: a sentence chosen from the above.
    payment_text: str = ""

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def by_direct_debit(self) -> bool:
        return self.collection_date is not None


# Swiss QR-IBANs carry an institution id in this range; they take QR references only.
QR_IID = range(30000, 32000)

# Invoice lines continue on the next page below this height (mm).
PAGE_BOTTOM = 270


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
    # The slip's text in the embedded font (PDF/A admits no font it does not carry).
    return re.sub(r'font-family="[^"]*"', f'font-family="{FONT}"', out.getvalue()).encode()


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


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#") if re.fullmatch(r"#?[0-9a-fA-F]{6}", colour or "") else "1d4f91"
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def printed_reference(reference: str) -> str:
    """A reference as printed, in the groups the payer types: "RF18 5390 0754 7034" or
    "21 00000 00003 13947 14300 09017"."""
    if reference.isdigit() and len(reference) == 27:
        return esr.format(reference)
    return iso11649.format(reference) if iso11649.is_valid(reference) else reference


def printed_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def payment_sentence(invoice: Invoice) -> str:
    """How the invoice is paid: collected by direct debit, or to be transferred."""
    if invoice.payment_text:
        return invoice.payment_text
    if invoice.by_direct_debit:
        return _(
            "We collect the amount by SEPA direct debit on %(date)s from the account "
            "%(iban)s, mandate %(mandate)s, creditor identifier %(creditor)s."
        ) % {
            "date": _date(invoice.collection_date),
            "iban": printed_iban(invoice.debtor_iban),
            "mandate": invoice.mandate,
            "creditor": invoice.creditor_id,
        }
    return _("Please transfer the amount to %(holder)s, IBAN %(iban)s, quoting %(ref)s.") % {
        "holder": invoice.seller.name,
        "iban": printed_iban(invoice.iban),
        "ref": printed_reference(invoice.reference),
    }


def letterhead(pdf, *, seller: Party, buyer: Party, iban: str = "", bic: str = "") -> None:
    """Logo and town colour at the top, the sender's block on the right, the return
    address above the recipient's window (DIN 5008, form B)."""
    colour = _rgb(seller.colour)
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, 210, 6, style="F")
    left = 20
    if seller.logo:
        try:
            pdf.image(io.BytesIO(seller.logo), x=20, y=12, h=18, keep_aspect_ratio=True)
            left = None
        except Exception:
            left = 20
    if left is not None:
        pdf.set_xy(left, 14)
        pdf.set_text_color(*colour)
        pdf.set_font(FONT, "B", 16)
        pdf.cell(95, 8, pdf_text(seller.name))
        pdf.set_text_color(0, 0, 0)
    sender = [
        seller.name,
        seller.street,
        f"{seller.postcode} {seller.town}".strip(),
        seller.email,
        f"IBAN {printed_iban(iban)}" if iban else "",
        f"BIC {bic}" if bic else "",
        seller.registration_id,
    ]
    pdf.set_xy(130, 12)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(60, 4.5, pdf_text(seller.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8.5)
    for line in sender[1:]:
        if line:
            pdf.set_x(130)
            pdf.cell(60, 4.2, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(20, 47)
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(90, 90, 90)
    back = " · ".join(part for part in (seller.name, seller.street,
                                         f"{seller.postcode} {seller.town}".strip()) if part)  # fmt: skip
    pdf.cell(85, 4, pdf_text(back), border="B")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(20, 53)
    pdf.set_font(FONT, "", 10.5)
    address = [buyer.name, buyer.street, f"{buyer.postcode} {buyer.town}".strip()]
    pdf.multi_cell(85, 5, pdf_text("\n".join(line for line in address if line)))


def _facts(invoice: Invoice) -> list[tuple[str, str]]:
    facts = [
        (_("Invoice number"), invoice.number),
        (_("Date"), _date(invoice.issued)),
    ]
    if invoice.by_direct_debit:
        facts += [
            (_("Collection date"), _date(invoice.collection_date)),
            (_("Mandate reference"), invoice.mandate),
        ]
    else:
        facts += [
            (_("Payable by"), _date(invoice.due)),
            (_("Payment reference"), printed_reference(invoice.reference)),
        ]
    if invoice.buyer.email:
        facts.append((_("Customer e-mail"), invoice.buyer.email))
    return facts


def facts_block(pdf, facts: list[tuple[str, str]]) -> None:
    """Labelled facts (number, dates, reference) to the right of the recipient."""
    pdf.set_xy(115, 53)
    pdf.set_font(FONT, "", 8.5)
    width = max([pdf.get_string_width(pdf_text(label)) for label, _value in facts] + [20]) + 3
    for label, value in facts:
        pdf.set_x(115)
        pdf.set_font(FONT, "", 8.5)
        pdf.cell(width, 5, pdf_text(label))
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(0, 5, pdf_text(value), new_x="LMARGIN", new_y="NEXT")


def invoice_pdf(invoice: Invoice, *, e_invoice: bool = False) -> bytes:
    """The invoice as PDF/A-3; with ``e_invoice`` (and a seller register number, which
    EN 16931 needs) its Factur-X XML is embedded (ZUGFeRD). Printed in the active
    language (the one its title and note were written in), the Swiss slip included."""
    active = (translation.get_language() or invoice.language or "de")[:2]
    invoice = dataclasses.replace(invoice, language=active)
    pdf = pdf_new(archival=True, format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    letterhead(pdf, seller=invoice.seller, buyer=invoice.buyer, iban=invoice.iban, bic=invoice.bic)
    facts_block(pdf, _facts(invoice))
    title = f"{invoice.title or _('Invoice')} {invoice.number}"
    pdf.set_xy(20, 95)
    pdf.set_font(FONT, "B", 15)
    pdf.set_text_color(*_rgb(invoice.seller.colour))
    pdf.cell(0, 9, pdf_text(title))
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(20, 108)

    def table_head() -> None:
        pdf.set_x(20)
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(100, 6, pdf_text(_("Description")), border="B")
        pdf.cell(15, 6, pdf_text(_("Qty")), border="B", align="R")
        pdf.cell(25, 6, pdf_text(_("Price")), border="B", align="R")
        pdf.cell(30, 6, pdf_text(_("Amount")), border="B", align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_font(FONT, "", 8.5)

    def next_page() -> None:
        pdf.add_page()
        pdf.set_xy(20, 12)
        pdf.set_font(FONT, "", 8)
        pdf.cell(170, 5, pdf_text(_("%(title)s, page %(page)s") % {"title": title,
                                                                    "page": pdf.page_no()}))  # fmt: skip
        pdf.set_y(20)

    table_head()
    for line in invoice.lines:
        if pdf.get_y() > PAGE_BOTTOM:
            next_page()
            table_head()
        pdf.set_x(20)
        pdf.cell(100, 5.5, pdf_text(line.label[:70]))
        pdf.cell(15, 5.5, str(line.quantity), align="R")  # -1: a credit
        pdf.cell(25, 5.5, pdf_text(_money(invoice, line.unit_minor)), align="R")
        pdf.cell(30, 5.5, pdf_text(_money(invoice, line.total_minor)), align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_x(20)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(140, 8, pdf_text(_("Total")), border="T")
    pdf.cell(30, 8, pdf_text(_money(invoice, invoice.total_minor)), border="T",
             align="R", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(FONT, "", 8.5)
    pdf.set_x(20)
    text = invoice.note + "\n" if invoice.note else ""
    text += (invoice.vat_note or _("Not subject to VAT (multi-purpose voucher).")) + "\n"
    text += payment_sentence(invoice)
    pdf.multi_cell(170, 4.5, pdf_text(text), align="L")
    swiss = invoice.currency == "CHF" or is_qr_iban(invoice.iban)
    slip_top = 297 - 105 if swiss else 235
    if not invoice.by_direct_debit and pdf.get_y() > slip_top - 4:
        next_page()  # the payment slip goes below, on a page of its own
    if invoice.by_direct_debit:
        pass  # nothing to scan: the town collects
    elif swiss:
        pdf.set_fill_color(0, 0, 0)  # the slip's text is drawn in the fill colour
        pdf.image(io.BytesIO(_swiss_bill_svg(invoice)), x=0, y=slip_top, w=210)
    else:
        pdf.set_xy(20, slip_top)
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(0, 5, pdf_text(_("Pay by scanning with your banking app (GiroCode):")))
        pdf.image(_epc_qr(invoice), x=20, y=slip_top + 7, w=40, h=40)
    attach = e_invoice and bool(invoice.seller.registration_id)
    pdf_archive(
        pdf,
        title=title,
        author=invoice.seller.name,
        subject=_("Invoice %(number)s to %(buyer)s")
        % {"number": invoice.number, "buyer": invoice.buyer.name},
        lang=f"{invoice.language}-{invoice.seller.country}",
        facturx_xml=invoice_xml(invoice) if attach else None,
    )
    return bytes(pdf.output())


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
        if party.registration_id:
            # BT-30 (seller) / BT-47 (buyer): the legal registration identifier.
            target.legal_organization.id = ("", party.registration_id)
    # Vouchers and statements are "delivered" on the day of the invoice (BT-72).
    doc.trade.delivery.event.occurrence = invoice.issued
    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = invoice.reference
    means = PaymentMeans()
    terms = PaymentTerms()
    if invoice.by_direct_debit:
        means.type_code = "59"  # SEPA direct debit
        means.payer_account.iban = invoice.debtor_iban  # BT-91
        settlement.creditor_reference_id = invoice.creditor_id  # BT-90
        terms.debit_mandate_id = invoice.mandate  # BT-89
        terms.due = invoice.collection_date
    else:
        means.type_code = "58"  # SEPA credit transfer
        means.payee_account.iban = invoice.iban
        if invoice.bic:
            means.payee_institution.bic = invoice.bic
        terms.due = invoice.due
    settlement.payment_means.add(means)
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
