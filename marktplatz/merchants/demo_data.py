"""Demo data of the merchants app: about 30 businesses and a few employers per town."""

from __future__ import annotations

from decimal import Decimal

from marktplatz.demo.names import (
    FIRST_NAMES,
    HOURS,
    HOURS_FOR_CATEGORY,
    INN_NAMES,
    MERCHANT_PLAN,
    PLACES,
    STREETS,
    SURNAMES,
)
from marktplatz.merchants.models import Employer, Merchant

DESCRIPTIONS = {
    "bakery": "Frisches Brot und Gebäck aus eigener Backstube, jeden Morgen ab 6:30.",
    "butcher": "Fleisch und Wurst von Höfen aus der Region, hausgemacht.",
    "grocery": "Regionale Spezialitäten, Käse, Öle und Weine.",
    "restaurant": "Regionale Küche mit saisonalen Zutaten. Mittagsmenü unter der Woche.",
    "cafe": "Kaffee aus eigener Röstung, Kuchen und kleine Speisen.",
    "fashion": "Damen- und Herrenmode, persönliche Beratung.",
    "shoes": "Schuhe für die ganze Familie, Reparaturannahme.",
    "books": "Bücher, Zeitschriften und Schreibwaren; Bestellung bis morgen früh.",
    "electronics": "Haushaltsgeräte, Unterhaltungselektronik und Reparaturservice.",
    "pharmacy": "Beratung zu Gesundheit und Pflege.",
    "optician": "Brillen, Kontaktlinsen und Sehtest.",
    "beauty": "Haarschnitt, Farbe und Pflege. Termine auch online.",
    "home": "Alles für Küche, Haus und Garten.",
    "florist": "Sträuße, Pflanzen und Dekoration für jeden Anlass.",
    "sports": "Sportartikel, Velos und Skiservice.",
    "toys": "Spielwaren, Bastelbedarf und Gesellschaftsspiele.",
    "jewellery": "Schmuck, Uhren und Uhrenreparatur.",
    "culture": "Ausstellungen und Veranstaltungen für Jung und Alt.",
    "leisure": "Hallenbad mit Sauna und Kursen.",
    "parking": "Parken mitten in der Altstadt, rund um die Uhr.",
    "services": "Änderungen und Reparaturen, schnell und sorgfältig.",
}


def _name(pattern: str, town, rng) -> str:
    return pattern.format(
        surname=rng.choice(SURNAMES),
        first=rng.choice(FIRST_NAMES),
        place=rng.choice(PLACES),
        inn=rng.choice(INN_NAMES),
        town=town.name,
    )


def seed(*, city, town, rng, out, **_options) -> None:
    # Everything is drawn before looking at the database, so a second run draws the
    # same names and finds them already there (by their fixed codes).
    used: set[str] = set()
    for index, (category, pattern) in enumerate(MERCHANT_PLAN):
        name = _name(pattern, town, rng)
        while name in used:
            name = _name(pattern, town, rng)
        used.add(name)
        street = f"{rng.choice(STREETS)}{town.street_word} {rng.randint(1, 80)}"
        lat = Decimal(str(round(town.latitude + rng.uniform(-0.006, 0.006), 6)))
        lon = Decimal(str(round(town.longitude + rng.uniform(-0.009, 0.009), 6)))
        code = f"d{town.slug[:3]}{index:02d}"
        phone = f"+{49 if town.country == 'DE' else 41} {rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        postcode = f"{town.postcode_prefix}{rng.randint(10, 99)}"
        if Merchant.objects.filter(code=code).exists():
            continue
        Merchant.objects.create(
            city=city,
            code=code,
            name=name,
            category=category,
            street=street,
            postcode=postcode,
            locality=town.name,
            latitude=lat,
            longitude=lon,
            opening_hours=HOURS[HOURS_FOR_CATEGORY.get(category, "shop")],
            phone=phone,
            email=f"info@{code}.{town.slug}.example",
            description=DESCRIPTIONS[category],
            status=Merchant.Status.APPROVED,
            is_active=True,
        )
    # One registration waits for approval, so the operator has something to do.
    pending_code = f"d{town.slug[:3]}pd"
    pending_name = f"Weinhandlung {rng.choice(SURNAMES)} & {rng.choice(FIRST_NAMES)}"
    if not Merchant.objects.filter(code=pending_code).exists():
        Merchant.objects.create(
            city=city,
            code=pending_code,
            name=pending_name,
            category="grocery",
            street=f"Markt{town.street_word} 7",
            postcode=f"{town.postcode_prefix}00",
            locality=town.name,
            opening_hours=HOURS["small_shop"],
            description="Weine aus der Region und aus Europa.",
            status=Merchant.Status.PENDING,
            is_active=False,
        )
    for name in (
        f"Stadtwerke {town.name}",
        f"{rng.choice(SURNAMES)} Maschinenbau",
        f"Spital {town.name}",
    ):
        Employer.objects.get_or_create(city=city, name=name)
