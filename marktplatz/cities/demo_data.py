"""Demo data of the cities app: the towns themselves and their departments."""

from __future__ import annotations

from marktplatz.cities.models import City, Department


def ensure_city(town) -> City:
    city, _created = City.objects.get_or_create(
        slug=town.slug,
        defaults={
            "name": town.name,
            "country": town.country,
            "currency": town.currency,
            "default_language": town.language,
            "time_zone": town.time_zone,
            "primary_color": town.primary_color,
            "accent_color": town.accent_color,
        },
    )
    return city


def seed(*, city, town, rng, out, **_options) -> None:
    for name in town.department_names:
        Department.objects.get_or_create(city=city, name=name)
