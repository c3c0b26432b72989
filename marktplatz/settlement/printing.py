"""A merchant's monthly statement as PDF (fpdf2): its lines and its balance."""

from __future__ import annotations

from django.utils.translation import gettext as _

from marktplatz.core.pdf import pdf_new, pdf_text
from marktplatz.core.templatetags.marktplatz import money


def statement_pdf(*, statement, lines: list[dict]) -> bytes:
    city, merchant = statement.city, statement.merchant
    pdf = pdf_new(format="A4", unit="mm")
    pdf.set_title(f"{city.name} - {merchant.name} - {statement.period_start:%Y-%m}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, pdf_text(city.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    title = _("Statement %(month)s for %(merchant)s") % {
        "month": f"{statement.period_start:%m/%Y}",
        "merchant": merchant.name,
    }
    pdf.cell(0, 8, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, pdf_text(f"{merchant.street}, {merchant.postcode} {merchant.locality}"),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(6)
    for line in lines:
        pdf.cell(130, 7, pdf_text(line["label"]))
        pdf.cell(
            0, 7, pdf_text(money(line["amount"], city)), align="R", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(130, 9, pdf_text(_("Balance")))
    pdf.cell(
        0, 9, pdf_text(money(statement.net_minor, city)), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "", 9)
    pdf.ln(4)
    note = (
        _("We pay this amount to your account.")
        if statement.net_minor > 0
        else _("We collect this amount from your account.")
        if statement.net_minor < 0
        else _("Nothing to pay this month.")
    )
    pdf.multi_cell(0, 5, pdf_text(note))
    return bytes(pdf.output())
