"""PDFs with fpdf2's built-in fonts (Helvetica, Courier): text in Windows-1252, which
has €, ’ and – besides the Latin-1 letters; anything else is printed as "?"."""

from __future__ import annotations

from fpdf import FPDF

ENCODING = "windows-1252"


def pdf_new(**options) -> FPDF:
    """An FPDF document (``options`` as for ``FPDF``) whose core fonts take cp1252."""
    pdf = FPDF(**options)
    pdf.core_fonts_encoding = ENCODING
    return pdf


def pdf_text(text: object) -> str:
    """``text`` with every character the core fonts cannot print replaced by "?"."""
    return str(text).encode(ENCODING, "replace").decode(ENCODING)
