"""The demo towns and the seeders that fill them.

Each app that has demo data provides a module with ``seed(*, city, town, rng, out)``;
SEEDERS lists them in dependency order, and later apps append theirs (the ledger adds
a year of history). Every seeder must be idempotent: running the demo twice neither
fails nor duplicates data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoTown:
    slug: str
    name: str
    country: str
    currency: str
    language: str
    time_zone: str
    postcode_prefix: str
    street_word: str  # "straße" in Germany, "strasse" in Switzerland
    latitude: float
    longitude: float
    primary_color: str
    accent_color: str
    department_names: tuple[str, ...]


TOWNS = (
    DemoTown(
        slug="rheinstadt",
        name="Rheinstadt",
        country="DE",
        currency="EUR",
        language="de",
        time_zone="Europe/Berlin",
        postcode_prefix="796",
        street_word="straße",
        latitude=47.5605,
        longitude=7.7940,
        primary_color="#1d4f91",
        accent_color="#b3261e",
        department_names=("Tiefbau und Straßen", "Stadtgrün", "Ordnungsamt"),
    ),
    DemoTown(
        slug="seeberg",
        name="Seeberg",
        country="CH",
        currency="CHF",
        language="de",
        time_zone="Europe/Zurich",
        postcode_prefix="63",
        street_word="strasse",
        latitude=47.1662,
        longitude=8.5155,
        primary_color="#0b6e4f",
        accent_color="#a4161a",
        department_names=("Werkhof", "Stadtgärtnerei", "Sicherheit"),
    ),
)

SEEDERS = (
    "marktplatz.cities.demo_data",
    "marktplatz.merchants.demo_data",
    "marktplatz.accounts.demo_data",
    "marktplatz.loyalty.demo_data",
    "marktplatz.vouchers.demo_data",
    "marktplatz.purses.demo_data",
    "marktplatz.settlement.demo_data",
    "marktplatz.messenger.demo_data",
    "marktplatz.chat.demo_data",
    "marktplatz.orders.demo_data",
    "marktplatz.newsletters.demo_data",
)

DEMO_PASSWORD = "marktplatz-demo"  # noqa: S105 - printed to the person running the demo
