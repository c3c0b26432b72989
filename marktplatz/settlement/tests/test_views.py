"""Statements on screen, as CSV and PDF for the business; the operator's settlement page."""

import csv
import io

from marktplatz.settlement import services
from marktplatz.settlement.models import Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH


def test_the_owner_reads_the_statement_with_every_booking_csv_and_pdf(
    client, bob, town_a, shop_a, activity, month_over
):
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    statement = Statement.objects.get(merchant=shop_a)
    client.force_login(bob)
    base = f"/altdorf/merchant/{shop_a.code}/statements/"
    listing = client.get(base)
    assert statement.code in listing.content.decode()
    page = client.get(f"{base}{statement.code}/")
    assert page.status_code == 200
    assert len(page.context["lines"]) == 5
    assert page.context["bookings"].count() == 3  # two purchases, one refund
    assert page.context["vouchers"].count() == 1
    rows = list(csv.reader(io.StringIO(client.get(f"{base}{statement.code}.csv").content.decode())))
    lines = [int(row[4]) for row in rows if row[0] == "line"]
    total = next(int(row[4]) for row in rows if row[0] == "total")
    assert sum(lines) == total == statement.net_minor
    assert [row[0] for row in rows].count("booking") == 3
    pdf = client.get(f"{base}{statement.code}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_cashiers_do_not_see_statements(client, carol, shop_a):
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/statements/").status_code == 403


def test_the_operator_settles_a_month_that_is_over(client, alice, town_a, shop_a):
    client.force_login(alice)
    url = "/altdorf/operator/settlement/"
    early = client.post(url, {"month": f"{THIS_MONTH:%Y-%m}"})
    assert "vorbei" in early.content.decode() and not Statement.objects.exists()
    done = client.post(url, {"month": "2026-01"})
    assert done.status_code == 302
    again = client.post(url, {"month": "2026-01"})
    assert again.status_code == 302
    statement = Statement.objects.get(merchant=shop_a)  # once, with the monthly fee only
    assert statement.net_minor == -1500
    shown = client.get(url, {"month": "2026-01"})
    assert shown.context["collect"] == 1500
