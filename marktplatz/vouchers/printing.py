"""A print-ready voucher (A6 postcard or A4 page): town, value, QR code and code (fpdf2)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from marktplatz.core.pdf import pdf_new, pdf_text
from marktplatz.core.qr import qr_png
from marktplatz.core.templatetags.marktplatz import money


def voucher_pdf(*, voucher, page_format: str = "A6") -> bytes:
    city = voucher.city
    # fpdf2 knows A4 by name; A6 is 105 × 148 mm, printed landscape (a postcard).
    size = (105, 148) if page_format == "A6" else "A4"
    pdf = pdf_new(orientation="landscape" if page_format == "A6" else "portrait", format=size)
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{city.name} - {voucher.product.name}")
    pdf.add_page()
    width, height = pdf.w, pdf.h
    margin = 8 if page_format == "A6" else 20
    colour = voucher.product.colour.lstrip("#")
    pdf.set_fill_color(*(int(colour[i : i + 2], 16) for i in (0, 2, 4)))
    pdf.rect(0, 0, width, 14 if page_format == "A6" else 30, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 14 if page_format == "A6" else 24)
    pdf.set_xy(margin, 3 if page_format == "A6" else 9)
    pdf.cell(0, 8 if page_format == "A6" else 12, pdf_text(city.name))
    pdf.set_text_color(0, 0, 0)
    qr_size = 50 if page_format == "A6" else 90
    top = 22 if page_format == "A6" else 50
    pdf.image(qr_png(voucher.secret), x=width - margin - qr_size, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(margin, top)
    pdf.set_font("Helvetica", "B", 16 if page_format == "A6" else 28)
    pdf.multi_cell(width - 2 * margin - qr_size - 4, 9 if page_format == "A6" else 14,
                   pdf_text(voucher.product.name))  # fmt: skip
    pdf.set_font("Helvetica", "B", 22 if page_format == "A6" else 40)
    pdf.set_x(margin)
    pdf.cell(0, 14 if page_format == "A6" else 24,
             pdf_text(money(voucher.value_minor, city)))  # fmt: skip
    pdf.set_font("Courier", "B", 10 if page_format == "A6" else 16)
    pdf.set_xy(margin, top + qr_size + 4)
    pdf.cell(0, 6, voucher.secret)
    pdf.set_font("Helvetica", "", 8 if page_format == "A6" else 12)
    pdf.set_xy(margin, height - margin - 6)
    until = timezone.localtime(voucher.expires_at).strftime("%d.%m.%Y")
    pdf.cell(
        0, 5, pdf_text(_("Valid until %(date)s at every participating business") % {"date": until})
    )
    return bytes(pdf.output())
