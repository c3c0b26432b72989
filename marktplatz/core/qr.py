"""QR codes for pages (inline SVG) and for PDFs (PNG), made with segno."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, scale: int = 8) -> str:
    """An inline SVG of a QR code (no script, no external file)."""
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff", border=2)


def qr_png(text: str, scale: int = 6) -> io.BytesIO:
    """A PNG of a QR code, ready for fpdf2's ``image()``."""
    png = io.BytesIO()
    segno.make(text, error="m").save(png, kind="png", scale=scale, border=1)
    png.seek(0)
    return png
