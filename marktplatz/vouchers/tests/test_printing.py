"""Printed vouchers: the voucher's name stays on one line on the A6 card and on A4."""

import io

import pytest
from pypdf import PdfReader

from marktplatz.testing.einvoice import pdf_fonts
from marktplatz.vouchers import services
from marktplatz.vouchers.models import VoucherProduct
from marktplatz.vouchers.printing import voucher_pdf


@pytest.mark.parametrize("page_format", ["A6", "A4"])
def test_the_benefit_voucher_title_is_printed_unbroken(town_a, page_format):
    name = "Sachbezug der Stadtwerke Altdorf für Mitarbeitende"
    product = VoucherProduct.objects.create(city=town_a, name=name, value_minor=5000)
    voucher = services.voucher_sell(product=product)
    pdf = voucher_pdf(voucher=voucher, page_format=page_format)
    lines = [
        line.strip() for line in PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
    ]
    assert name in lines  # one line, not broken after "Stadtwerke"
    assert voucher.secret in lines
    assert "50,00\xa0€" in lines or "50,00 €" in lines
    assert all(embedded for _name, embedded in pdf_fonts(pdf))
