"""Every CSV download, opened as German Excel opens it: a statement and the operator's
points figures come with BOM, ";", amounts in euros with a decimal comma and local times;
?format=plain gives RFC 4180."""

import csv
import io
from zoneinfo import ZoneInfo

from marktplatz.settlement import services
from marktplatz.settlement.models import Statement
from marktplatz.settlement.tests.conftest import THIS_MONTH


def excel_rows(response):
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_the_statement_csv_opens_in_german_excel(client, bob, town_a, shop_a, activity, month_over):
    services.settle_month(city=town_a, month=THIS_MONTH, now=month_over)
    statement = Statement.objects.get(merchant=shop_a)
    client.force_login(bob)
    url = f"/altdorf/merchant/{shop_a.code}/statements/{statement.code}.csv"
    rows = excel_rows(client.get(url))
    assert rows[0] == ["Abschnitt", "Datum", "Vorgang", "Referenz", "Betrag", "Punkte"]
    assert rows[-1][0] == "Summe" and rows[-1][4] == "2,83"  # euros, not 283 cents
    bookings = [row for row in rows if row[0] == "Buchung"]
    assert len(bookings) == 3
    first = statement_items_first_booking(statement)
    local = first.created_at.astimezone(ZoneInfo(town_a.time_zone))
    assert f"{local:%d.%m.%Y %H:%M:%S}" in [row[1] for row in bookings]
    assert "120,00" in [row[4] for row in bookings]  # the purchase of 120 euros
    plain = client.get(url + "?format=plain")
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(plain.content.decode())))
    assert rows[-1][4] == "2.83" and f"{local:%Y-%m-%dT%H:%M:%S%z}"[:19] in plain.content.decode()
    page = client.get(f"/altdorf/merchant/{shop_a.code}/statements/{statement.code}/")
    assert "?format=excel" in page.content.decode() and "?format=plain" in page.content.decode()


def statement_items_first_booking(statement):
    return services.statement_items(statement)["bookings"].order_by("created_at").first()


def test_the_operators_points_figures_open_in_excel(client, alice, town_a, activity):
    client.force_login(alice)
    rows = excel_rows(client.get("/altdorf/operator/card/merchants.csv"))
    assert rows[0][:4] == ["Betrieb", "Code", "Buchungen", "Umsatz"]
    turnover = {row[0]: row[3] for row in rows[1:]}
    assert turnover["Bäckerei Alt"] == "150,00"  # 120 + 30 euros bought
