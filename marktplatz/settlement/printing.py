"""A merchant's monthly statement as PDF (fpdf2): on the town's letterhead (logo, colour,
sender), to the business, with its number and date, its lines and its balance."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.core.invoices import facts_block, letterhead
from marktplatz.core.pdf import FONT, pdf_new, pdf_text
from marktplatz.core.templatetags.marktplatz import money
from marktplatz.settlement.payments import merchant_party
from marktplatz.vouchers.payments import city_party


def statement_number(statement) -> str:
    """The statement's number, the same as its invoice's when the business owes."""
    return f"S-{statement.period_start:%Y-%m}-{statement.code.upper()}"


def statement_pdf(*, statement, lines: list[dict]) -> bytes:
    city, merchant = statement.city, statement.merchant
    pdf = pdf_new(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(pdf_text(f"{city.name} - {merchant.name} - {statement.period_start:%Y-%m}"))
    pdf.add_page()
    seller = city_party(city)
    letterhead(
        pdf,
        seller=seller,
        buyer=merchant_party(merchant),
        iban=city.bank_iban,
        bic=city.bank_bic,
    )
    facts_block(
        pdf,
        [
            (_("Statement number"), statement_number(statement)),
            (
                _("Date"),
                timezone.localtime(statement.created_at, ZoneInfo(city.time_zone)).strftime(
                    "%d.%m.%Y"
                ),
            ),
            (_("Month"), f"{statement.period_start:%m/%Y}"),
        ],
    )
    title = _("Statement %(month)s for %(merchant)s") % {
        "month": f"{statement.period_start:%m/%Y}",
        "merchant": merchant.name,
    }
    pdf.set_xy(20, 95)
    pdf.set_font(FONT, "B", 15)
    pdf.set_text_color(*(int(seller.colour[i : i + 2], 16) for i in (1, 3, 5)))
    pdf.multi_cell(170, 8, pdf_text(title), align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(max(pdf.get_y() + 4, 112))
    pdf.set_font(FONT, "", 10)
    for line in lines:
        if pdf.get_y() > 265:
            pdf.add_page()
            pdf.set_y(20)
        pdf.set_x(20)
        pdf.cell(130, 7, pdf_text(line["label"]))
        pdf.cell(40, 7, pdf_text(money(line["amount"], city)), align="R",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_x(20)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(130, 9, pdf_text(_("Balance")), border="T")
    pdf.cell(40, 9, pdf_text(money(statement.net_minor, city)), border="T", align="R",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_font(FONT, "", 9)
    pdf.ln(4)
    note = (
        _("We pay this amount to your account.")
        if statement.net_minor > 0
        else _("We collect this amount from your account.")
        if statement.net_minor < 0
        else _("Nothing to pay this month.")
    )
    pdf.set_x(20)
    pdf.multi_cell(170, 5, pdf_text(note), align="L")
    return bytes(pdf.output())
