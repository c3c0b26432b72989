"""Statements on screen, as CSV and PDF for the business; the operator's settlement page."""

import csv
import datetime as dt
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
    plain = client.get(f"{base}{statement.code}.csv?format=plain").content.decode()
    rows = list(csv.reader(io.StringIO(plain)))
    cents = lambda text: round(float(text) * 100)  # noqa: E731
    lines = [cents(row[4]) for row in rows if row[0] == "Abrechnung"]
    total = next(cents(row[4]) for row in rows if row[0] == "Summe")
    assert sum(lines) == total == statement.net_minor
    assert [row[0] for row in rows].count("Buchung") == 3
    pdf = client.get(f"{base}{statement.code}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_cashiers_do_not_see_statements(client, carol, shop_a):
    client.force_login(carol)
    assert client.get(f"/altdorf/merchant/{shop_a.code}/statements/").status_code == 403


def test_the_operator_settles_a_month_that_is_over(client, alice, town_a, shop_a):
    from marktplatz.cities.models import City

    City.objects.filter(pk=town_a.pk).update(created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    client.force_login(alice)  # the page reads the town afresh
    url = "/altdorf/operator/settlement/"
    early = client.post(url, {"month": f"{THIS_MONTH:%Y-%m}", "confirm": "yes"})
    assert "vorbei" in early.content.decode() and not Statement.objects.exists()
    before = client.post(url, {"month": "2025-12", "confirm": "yes"})
    assert "01/2026" in before.content.decode() and not Statement.objects.exists()
    asked = client.post(url, {"month": "2026-01"})
    assert asked.status_code == 200 and "15,00" in asked.content.decode()
    assert not Statement.objects.exists()  # shown, not yet written
    done = client.post(url, {"month": "2026-01", "confirm": "yes"})
    assert done.status_code == 302
    again = client.post(url, {"month": "2026-01", "confirm": "yes"})
    assert again.status_code == 302
    statement = Statement.objects.get(merchant=shop_a)  # once, with the monthly fee only
    assert statement.net_minor == -1500
    shown = client.get(url, {"month": "2026-01"})
    assert shown.context["collect"] == 1500
    assert dt.date(2026, 1, 1) not in shown.context["open_months"]
    assert dt.date(2026, 2, 1) in shown.context["open_months"]


def test_the_operator_admin_sets_validity_fees_and_the_benefit_limit(client, town_a, alice):
    from marktplatz.purses import services as purses
    from marktplatz.settlement import services as settlement
    from marktplatz.testing import factories
    from marktplatz.vouchers import services as vouchers

    url = "/altdorf/operator/money-rules/"
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200 and 'value="3"' in page.content.decode()
    form = {
        "validity_years": "5", "min_value": "10,00", "max_value": "200,00",
        "points_fee_member": "2,5", "points_fee_other": "4", "voucher_commission_member": "1,5",
        "voucher_commission_other": "3", "monthly_fee_member": "0", "monthly_fee_other": "12,00",
        "benefit_limit": "44,00",
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    assert vouchers.rules_for(city=town_a).validity_years == 5
    fees = settlement.rules_for(city=town_a)
    assert (fees.points_fee_bp_member, fees.voucher_commission_bp_other) == (250, 300)
    assert (fees.monthly_fee_member, fees.monthly_fee_other) == (0, 1200)
    assert purses.rules_for(city=town_a).monthly_limit_minor == 4400
    refused = client.post(url, {**form, "min_value": "300,00", "points_fee_other": "120"})
    assert refused.status_code == 200 and refused.content.decode().count("errorlist") >= 2
    assert vouchers.rules_for(city=town_a).min_value_minor == 1000
    staff = factories.person("staff@example.org", town_a, "operator_staff")
    client.force_login(staff)
    assert client.get(url).status_code == 403
