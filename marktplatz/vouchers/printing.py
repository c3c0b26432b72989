"""A print-ready voucher (A6 postcard or A4 page): town, value, QR code and code (fpdf2)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.core.pdf import FONT, pdf_fit, pdf_new, pdf_text
from marktplatz.core.qr import qr_png
from marktplatz.core.templatetags.marktplatz import money


def voucher_pdf(*, voucher, page_format: str = "A6") -> bytes:
    city = voucher.city
    a6 = page_format == "A6"
    # fpdf2 knows A4 by name; A6 is 105 × 148 mm, printed landscape (a postcard).
    pdf = pdf_new(orientation="landscape" if a6 else "portrait", format=(105, 148) if a6 else "A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(pdf_text(f"{city.name} - {voucher.product.display_name}"))
    pdf.add_page()
    width, height = pdf.w, pdf.h
    margin = 8 if a6 else 20
    colour = voucher.product.colour.lstrip("#")
    pdf.set_fill_color(*(int(colour[i : i + 2], 16) for i in (0, 2, 4)))
    band = 14 if a6 else 30
    pdf.rect(0, 0, width, band, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf_fit(pdf, pdf_text(city.name), width=width - 2 * margin, size=14 if a6 else 24, style="B")
    pdf.set_xy(margin, 3 if a6 else 9)
    pdf.cell(width - 2 * margin, 8 if a6 else 12, pdf_text(city.name))
    pdf.set_text_color(0, 0, 0)
    # The voucher's name on one line across the page: the font shrinks to fit.
    name = pdf_text(voucher.product.display_name)
    pdf_fit(pdf, name, width=width - 2 * margin, size=16 if a6 else 28, style="B")
    pdf.set_xy(margin, band + (2 if a6 else 8))
    pdf.cell(width - 2 * margin, 9 if a6 else 14, name)
    qr_size = 50 if a6 else 90
    top = band + (13 if a6 else 30)
    pdf.image(qr_png(voucher.secret), x=width - margin - qr_size, y=top, w=qr_size, h=qr_size)
    value = pdf_text(money(voucher.value_minor, city))
    pdf_fit(pdf, value, width=width - 2 * margin - qr_size - 4, size=22 if a6 else 40, style="B")
    pdf.set_xy(margin, top)
    pdf.cell(width - 2 * margin - qr_size - 4, 14 if a6 else 24, value)
    pdf.set_font(FONT, "B", 10 if a6 else 16)
    pdf.set_xy(margin, top + qr_size + 2)
    pdf.cell(0, 6, voucher.secret)
    pdf.set_font(FONT, "", 8 if a6 else 12)
    pdf.set_xy(margin, height - margin - 6)
    until = timezone.localtime(voucher.expires_at, ZoneInfo(city.time_zone)).strftime("%d.%m.%Y")
    pdf.cell(
        0, 5, pdf_text(_("Valid until %(date)s at every participating business") % {"date": until})
    )
    return bytes(pdf.output())
