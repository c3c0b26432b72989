"""The print sheet of cards: every card's number stays on one line, however long the
town's name."""

import io
import re

from pypdf import PdfReader

from marktplatz.loyalty.cardnumbers import format_number
from marktplatz.loyalty.models import Card, CardBatch
from marktplatz.loyalty.printing import batch_sheet_pdf
from marktplatz.loyalty.services import card_batch_issue
from marktplatz.testing.einvoice import pdf_fonts


def test_every_printed_card_number_is_on_one_line(town_a):
    town_a.name = "Altdorf an der Weinstraße im Markgräflerland"
    town_a.save()
    batch = card_batch_issue(city=town_a, size=12, note="Messe", actor=None)
    cards = list(Card.objects.filter(batch=batch).order_by("pk"))
    pdf = batch_sheet_pdf(city=town_a, cards=cards)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 2  # ten cards a page
    lines = [line.strip() for page in pages for line in page.extract_text().splitlines()]
    for card in cards:
        assert format_number(card.number) in lines  # the whole number, alone on its line
    assert not [line for line in lines if re.fullmatch(r"\d{4}", line)]  # no broken group
    assert all(embedded for _name, embedded in pdf_fonts(pdf))
    assert CardBatch.objects.count() == 1
