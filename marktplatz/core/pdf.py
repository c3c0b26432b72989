"""PDFs (fpdf2) with an embedded font: Open Sans (package ``ttf-opensans``), regular and
bold, subset into each file, so every PDF looks the same on every reader.

- ``pdf_new``: a document with the font added as ``FONT``; ``archival=True`` makes it
  PDF/A-3B (fpdf2 enforces it: no core fonts, an sRGB output intent, XMP metadata).
- ``pdf_text``: text with the characters the font lacks replaced by "?".
- ``pdf_archive``: sets the document's metadata (the same in the Info dictionary and in
  XMP) and, for an e-invoice, embeds its Factur-X XML as the PDF/A-3 associated file
  ``factur-x.xml`` with the Factur-X XMP extension schema.
"""

from __future__ import annotations

import datetime as dt
import functools
from html import escape
from pathlib import Path

import ttf_opensans
from fontTools.ttLib import TTFont
from fpdf import FPDF

FONT = "OpenSans"
FONT_FILES = {
    "": Path(ttf_opensans.OPENSANS_REGULAR.path),
    "B": Path(ttf_opensans.OPENSANS_BOLD.path),
}
PDFA = "PDF/A-3B"
FACTURX_FILE = "factur-x.xml"
FACTURX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def pdf_new(*, archival: bool = False, **options) -> FPDF:
    """An FPDF document (``options`` as for ``FPDF``) with ``FONT`` set in 10 pt."""
    pdf = FPDF(enforce_compliance=PDFA if archival else None, **options)
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT, style, str(path))
    pdf.set_font(FONT, "", 10)
    return pdf


@functools.cache
def _printable() -> frozenset[int]:
    # Both styles come from one family; a character counts when both have it.
    maps = [set(TTFont(str(path), lazy=True).getBestCmap()) for path in FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def pdf_text(text: object) -> str:
    """``text`` with every character the font cannot print replaced by "?"."""
    printable = _printable()
    return "".join(char if ord(char) in printable or char in "\n\t" else "?" for char in str(text))


def _xmp(
    *,
    title: str,
    author: str,
    subject: str,
    creator: str,
    producer: str,
    created: dt.datetime,
    lang: str,
    facturx_level: str,
) -> str:
    stamp = created.isoformat(timespec="seconds")
    lang = escape(lang or "x-default")
    parts = [
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
        "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<dc:format>application/pdf</dc:format>",
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt>'
        "</dc:title>",
        f"<dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>",
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{escape(subject)}</rdf:li></rdf:Alt></dc:description>",
        f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">',
        f"<xmp:CreatorTool>{escape(creator)}</xmp:CreatorTool>",
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
        f"<xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
        "</rdf:Description>",
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">',
        f"<pdf:Producer>{escape(producer)}</pdf:Producer>",
        "</rdf:Description>",
    ]
    if facturx_level:
        # PDF/A only knows the namespaces it defines: the fx properties need their
        # schema described in the file (ISO 19005-3, 6.6.2.3.3).
        properties = (
            ("DocumentFileName", "The name of the embedded XML document"),
            ("DocumentType", "The type of the hybrid document in capital letters"),
            ("Version", "The version of the standard of the embedded XML document"),
            ("ConformanceLevel", "The conformance level of the embedded XML document"),
        )
        parts += [
            '<rdf:Description rdf:about=""'
            ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
            ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
            ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">',
            '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">',
            "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>",
            f"<pdfaSchema:namespaceURI>{FACTURX_NS}</pdfaSchema:namespaceURI>",
            "<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
            "<pdfaSchema:property><rdf:Seq>",
            *(
                '<rdf:li rdf:parseType="Resource">'
                f"<pdfaProperty:name>{name}</pdfaProperty:name>"
                "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
                "<pdfaProperty:category>external</pdfaProperty:category>"
                f"<pdfaProperty:description>{text}</pdfaProperty:description>"
                "</rdf:li>"
                for name, text in properties
            ),
            "</rdf:Seq></pdfaSchema:property>",
            "</rdf:li></rdf:Bag></pdfaExtension:schemas>",
            "</rdf:Description>",
            f'<rdf:Description rdf:about="" xmlns:fx="{FACTURX_NS}">',
            f"<fx:DocumentFileName>{FACTURX_FILE}</fx:DocumentFileName>",
            "<fx:DocumentType>INVOICE</fx:DocumentType>",
            "<fx:Version>1.0</fx:Version>",
            f"<fx:ConformanceLevel>{escape(facturx_level)}</fx:ConformanceLevel>",
            "</rdf:Description>",
        ]
    parts += ["</rdf:RDF>", "</x:xmpmeta>"]
    return "\n".join(parts)


def pdf_archive(
    pdf: FPDF,
    *,
    title: str,
    author: str,
    subject: str,
    lang: str,
    created: dt.datetime | None = None,
    facturx_xml: bytes | None = None,
    facturx_level: str = "EN 16931",
) -> None:
    """Set the metadata of a ``pdf_new(archival=True)`` document and, with
    ``facturx_xml``, embed it as the invoice's machine-readable twin (ZUGFeRD 2 /
    Factur-X: ``factur-x.xml``, relationship Alternative)."""
    created = (created or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    title, author, subject = pdf_text(title), pdf_text(author), pdf_text(subject)
    creator = producer = "Marktplatz"
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_subject(subject)
    pdf.set_creator(creator)
    pdf.set_producer(producer)
    pdf.set_creation_date(created)
    pdf.set_lang(lang)
    if facturx_xml is not None:
        pdf.embed_file(
            bytes=facturx_xml,
            basename=FACTURX_FILE,
            modification_date=created,
            mime_type="text/xml",
            associated_file_relationship="Alternative",
            desc="Factur-X / ZUGFeRD invoice",
            compress=True,
        )
    pdf.set_xmp_metadata(
        _xmp(
            title=title,
            author=author,
            subject=subject,
            creator=creator,
            producer=producer,
            created=created,
            lang=lang,
            facturx_level=facturx_level if facturx_xml is not None else "",
        )
    )


def pdf_fit(pdf: FPDF, text: str, *, width: float, size: float, style: str = "") -> float:
    """Set ``FONT`` in ``style`` at ``size`` points, or smaller until ``text`` fits on one
    line of ``width`` mm (at least 6 pt); returns the size set."""
    pdf.set_font(FONT, style, size)
    while size > 6 and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font(FONT, style, size)
    return size
