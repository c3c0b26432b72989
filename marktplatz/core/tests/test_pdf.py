"""PDF text: the euro sign and typographic quotes print; what the fonts lack becomes "?"."""

import io

from pypdf import PdfReader

from marktplatz.core.pdf import pdf_new, pdf_text


def test_the_euro_sign_prints_and_unknown_characters_become_question_marks():
    assert pdf_text("12,50 € – CHF 1’234.50") == "12,50 € – CHF 1’234.50"
    assert pdf_text("Łódź ✓") == "?ód? ?"
    pdf = pdf_new(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 10, pdf_text("Gutschein 50,00 € · Grüße"))
    text = PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text()
    assert "50,00 € · Grüße" in text
