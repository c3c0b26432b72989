"""PDF text in the embedded font: the euro sign, quotes and Central European letters print;
what the font lacks becomes "?"; no PDF uses a core font the reader must supply."""

import io

from pypdf import PdfReader

from marktplatz.core.pdf import FONT, pdf_fit, pdf_new, pdf_text
from marktplatz.testing.einvoice import pdf_fonts, pdfa3_problems


def test_the_embedded_font_prints_more_than_windows_1252_and_marks_what_it_lacks():
    assert pdf_text("12,50 € – CHF 1’234.50") == "12,50 € – CHF 1’234.50"
    assert pdf_text("Łódź ✓") == "Łódź ?"
    pdf = pdf_new(format="A4")
    pdf.add_page()
    pdf.cell(0, 10, pdf_text("Gutschein 50,00 € · Grüße aus Łódź"))
    document = bytes(pdf.output())
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert "50,00 € · Grüße aus Łódź" in text
    assert pdf_fonts(document) == [(f"MPDFAA+{FONT}", True)]


def test_the_structural_pdfa_check_sees_a_core_font_and_a_missing_profile():
    from fpdf import FPDF

    plain = FPDF()
    plain.add_page()
    plain.set_font("Helvetica", "", 10)
    plain.cell(0, 10, "Rechnung")
    problems = pdfa3_problems(bytes(plain.output()))
    assert "font Helvetica not embedded" in problems
    assert "no PDF/A output intent with an ICC profile" in problems
    assert "no XMP metadata" in problems
    archival = pdf_new(archival=True)
    archival.add_page()
    archival.cell(0, 10, "Rechnung")
    assert pdfa3_problems(bytes(archival.output()), facturx=False) == []


def test_a_long_line_shrinks_to_fit_one_line():
    pdf = pdf_new(format="A4")
    pdf.add_page()
    text = "9276 1234 5678 9012"
    size = pdf_fit(pdf, text, width=30, size=14, style="B")
    assert size < 14 and pdf.get_string_width(text) <= 30
    assert pdf_fit(pdf, "short", width=100, size=14) == 14
