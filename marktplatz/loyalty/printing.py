"""A print-ready A4 sheet of card fronts: QR code, town, and the number on one line
(fpdf2, the embedded font of ``core.pdf``)."""

from __future__ import annotations

from marktplatz.core.pdf import FONT, pdf_fit, pdf_new, pdf_text
from marktplatz.core.qr import qr_png
from marktplatz.loyalty.cardnumbers import format_number

# ID-1 card size (85.6 × 54 mm), 2 columns × 5 rows on A4 with cutting gaps.
CARD_W, CARD_H = 85.6, 54.0
COLS, ROWS = 2, 5
LEFT, TOP, GAP = 15.0, 12.0, 4.0


def batch_sheet_pdf(*, city, cards) -> bytes:
    pdf = pdf_new(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(pdf_text(f"{city.name} – cards"))
    per_page = COLS * ROWS
    for index, card in enumerate(cards):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x = LEFT + (slot % COLS) * (CARD_W + GAP)
        y = TOP + (slot // COLS) * (CARD_H + GAP)
        pdf.set_draw_color(160, 160, 160)
        pdf.rect(x, y, CARD_W, CARD_H)
        pdf.image(qr_png(card.qr_token), x=x + 4, y=y + 6, w=40, h=40)
        column = CARD_W - 50  # right of the QR code
        pdf.set_xy(x + 47, y + 8)
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(column, 6, pdf_text(city.name), max_line_height=6)
        number = format_number(card.number)
        pdf_fit(pdf, number, width=column, size=11, style="B")
        pdf.set_xy(x + 47, y + 36)
        pdf.cell(column, 6, number)  # one line: the font shrinks to fit
    return bytes(pdf.output())
