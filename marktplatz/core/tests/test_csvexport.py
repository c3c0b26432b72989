"""CSV downloads read as Excel reads them (BOM, ";", decimal comma, quoting, local time)
and as RFC 4180 for programs."""

import csv
import datetime as dt
import io
from types import SimpleNamespace

import pytest

from marktplatz.core.csvexport import EXCEL, PLAIN, CsvExport, csv_format

ALTDORF = SimpleNamespace(country="DE", currency="EUR", time_zone="Europe/Berlin",
                          default_language="de")  # fmt: skip
BERGDORF = SimpleNamespace(country="CH", currency="CHF", time_zone="Europe/Zurich",
                           default_language="de")  # fmt: skip
NOON_UTC = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)  # 14:00 in summer


def export(city, format, language="de"):
    out = CsvExport(city=city, filename="x.csv", format=format, language=language)
    out.row(["Bäckerei; Korn", 'Sagt "Hallo"', "Zeile 1\nZeile 2", out.money(1250),
             out.money(-1500), 42, out.when(NOON_UTC), "=HYPERLINK(1)"])  # fmt: skip
    return out.response


def test_excel_gets_a_bom_semicolons_decimal_commas_and_local_times():
    response = export(ALTDORF, EXCEL)
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the umlauts right
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    (row,) = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert row == ["Bäckerei; Korn", 'Sagt "Hallo"', "Zeile 1\nZeile 2", "12,50", "-15,00",
                   "42", "01.07.2026 14:00:00", "'=HYPERLINK(1)"]  # fmt: skip
    assert b'"B\xc3\xa4ckerei; Korn";"Sagt ""Hallo""";' in body  # quoted as Excel expects
    assert body.endswith(b"\r\n")


@pytest.mark.parametrize(
    ("language", "amount", "when"),
    [("de", "12.50", "01.07.2026 14:00:00"), ("fr", "12,50", "01/07/2026 14:00:00"),
     ("it", "12.50", "01/07/2026 14:00:00")],
)  # fmt: skip
def test_a_swiss_excel_gets_the_swiss_decimal_sign(language, amount, when):
    body = export(BERGDORF, EXCEL, language).content.decode("utf-8-sig")
    (row,) = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert (row[3], row[6]) == (amount, when)


def test_plain_csv_is_rfc_4180():
    body = export(ALTDORF, PLAIN).content
    assert not body.startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert row[3:8] == ["12.50", "-15.00", "42", "2026-07-01T14:00:00+02:00", "=HYPERLINK(1)"]
    assert body.count(b"\r\n") == 1 and b'"Zeile 1\nZeile 2"' in body


def test_excel_is_the_default_in_german_french_and_italian_towns():
    assert csv_format(requested=None, city=ALTDORF) == EXCEL
    assert csv_format(requested="plain", city=ALTDORF) == PLAIN
    assert csv_format(requested="bogus", city=ALTDORF) == EXCEL
    english = SimpleNamespace(**{**vars(ALTDORF), "default_language": "en"})
    assert csv_format(requested=None, city=english) == PLAIN
