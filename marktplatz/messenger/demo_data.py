"""Demo data of the messenger: offers of about ten businesses and of the town (live, one
coming, one ended, a draft) and a year of earlier ones, with their daily figures; follows: the demo citizen follows the demo owner's
business and bookshops, about a third of the citizens follow a few businesses."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from marktplatz.accounts.models import Role, RoleKind
from marktplatz.merchants.models import Merchant
from marktplatz.messenger.models import Audience, Follow, Offer, OfferDay

OFFERS = {
    "bakery": (
        "Sonntagszopf vorbestellen",
        "Bis Freitag bestellt, am Sonntag ab 7 Uhr abholbereit.",
    ),
    "butcher": ("Grillwochen", "Marinierte Steaks und hausgemachte Bratwürste, jeden Samstag."),
    "grocery": ("Käse der Woche", "Ein Bergkäse aus der Region, zum Probieren an der Theke."),
    "restaurant": ("Mittagsmenü", "Suppe, Hauptgang und Kaffee unter der Woche."),
    "cafe": ("Kuchen zum Kaffee", "Zu jedem Kaffee ein Stück Kuchen zum halben Preis."),
    "fashion": ("Herbstkollektion", "Die neuen Mäntel und Strickwaren sind da."),
    "books": ("Lesenacht", "Lesung mit Autorin, Eintritt frei, Anmeldung im Laden."),
    "florist": ("Adventskränze", "Selbst binden unter Anleitung, Material inklusive."),
    "sports": ("Skiservice", "Kanten schleifen und wachsen bis Ende Monat günstiger."),
    "toys": ("Spielenachmittag", "Neue Gesellschaftsspiele ausprobieren, jeden Mittwoch."),
}


def seed(*, city, town, rng, out, **_options) -> None:
    if Offer.objects.exists():
        return  # loaded once
    today = timezone.localdate()
    merchants = list(
        Merchant.objects.filter(status=Merchant.Status.APPROVED, is_active=True).order_by("code")
    )
    first_of_category: dict[str, Merchant] = {}
    for merchant in merchants:
        first_of_category.setdefault(merchant.category, merchant)
    now = timezone.now()
    offers = []
    for index, (category, (title, text)) in enumerate(OFFERS.items()):
        merchant = first_of_category.get(category)
        if merchant is None:
            continue
        offers.append(
            Offer(
                city=city,
                merchant=merchant,
                title=title,
                text=text,
                starts_on=today - dt.timedelta(days=index),
                ends_on=today + dt.timedelta(days=14 + index),
                audience=Audience.FOLLOWERS if index % 3 == 0 else Audience.TOWN,
                bonus_points=(index % 4) * 10,
                published_at=now,
            )
        )
    offers += [
        Offer(city=city, title="Stadtfest", text="Musik, Markt und Lichter in der Altstadt.",
              starts_on=today, ends_on=today + dt.timedelta(days=20), audience=Audience.TOWN,
              published_at=now),
        Offer(city=city, title="Doppelte Punkte im Januar", text="Alle Einkäufe zählen doppelt.",
              starts_on=today + dt.timedelta(days=30), ends_on=today + dt.timedelta(days=60),
              audience=Audience.TOWN, published_at=now),
        Offer(city=city, title="Sommernachtsmarkt", text="Danke für den Besuch!",
              starts_on=today - dt.timedelta(days=120), ends_on=today - dt.timedelta(days=100),
              audience=Audience.TOWN, published_at=now - dt.timedelta(days=121)),
        Offer(city=city, title="Frühlingsaktion (Entwurf)", text="Noch in Arbeit.",
              starts_on=today + dt.timedelta(days=90), ends_on=today + dt.timedelta(days=100),
              audience=Audience.TOWN),
    ]  # fmt: skip
    # A year of earlier offers, one a month, each shown for two weeks.
    for month in range(1, 13):
        merchant = rng.choice(merchants) if merchants else None
        starts = today - dt.timedelta(days=30 * month + 14)
        title, text = OFFERS.get(merchant.category if merchant else "", ("Aktion", "Nur kurz."))
        offers.append(
            Offer(city=city, merchant=merchant, title=title, text=text, starts_on=starts,
                  ends_on=starts + dt.timedelta(days=13), audience=Audience.TOWN,
                  published_at=now - dt.timedelta(days=30 * month + 15))
        )  # fmt: skip
    Offer.objects.bulk_create(offers)
    _seed_figures(city=city, rng=rng, today=today)
    _seed_follows(city=city, town=town, rng=rng, merchants=merchants)


def _seed_figures(*, city, rng, today) -> None:
    """Daily figures of every published offer up to today: a funnel from seen to shared
    and redeemed, some offers liked more than others."""
    days = []
    for offer in Offer.objects.filter(published_at__isnull=False).order_by("pk"):
        appeal = rng.uniform(0.05, 0.35)
        day = offer.starts_on
        while day <= min(offer.ends_on, today):
            seen = rng.randint(20, 160)
            opens = int(seen * appeal * rng.uniform(0.7, 1.3))
            days.append(
                OfferDay(city=city, offer=offer, day=day, impressions=seen, opens=opens,
                         saves=int(opens * rng.uniform(0.05, 0.3)),
                         shares=int(opens * rng.uniform(0.0, 0.1)),
                         # The town's own offers are not redeemed at a till.
                         redemptions=int(opens * rng.uniform(0.05, 0.4)) if offer.merchant_id
                         else 0)
            )  # fmt: skip
            day += dt.timedelta(days=1)
    OfferDay.objects.bulk_create(days, batch_size=1000)


def _seed_follows(*, city, town, rng, merchants) -> None:
    if not merchants:
        return
    citizens = list(
        Role.objects.filter(kind=RoleKind.CITIZEN).select_related("user").order_by("user_id")
    )
    owner = Role.objects.filter(kind=RoleKind.MERCHANT_OWNER).select_related("merchant").first()
    follows = []
    for role in citizens:
        if role.user.email == f"citizen@{town.slug}.example":
            if owner is not None:
                follows.append(Follow(city=city, user=role.user, merchant=owner.merchant))
            follows.append(Follow(city=city, user=role.user, category="books"))
        elif rng.random() < 0.33:
            for merchant in rng.sample(merchants, k=min(3, len(merchants))):
                follows.append(Follow(city=city, user=role.user, merchant=merchant))
    Follow.objects.bulk_create(follows, ignore_conflicts=True)
