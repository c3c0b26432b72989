"""Finding the town of a request."""

from __future__ import annotations

from django.conf import settings

from marktplatz.cities.models import City
from marktplatz.core.memo import remember

# Towns are looked up on every request; a change is seen by other servers within this.
CITY_TTL = 30


def _active_city(**lookup) -> City | None:
    key = ("city", *sorted(lookup.items()))
    return remember(key, CITY_TTL, lambda: City.objects.filter(is_active=True, **lookup).first())


def city_for_host(host: str) -> tuple[City | None, bool]:
    """The active town served on ``host`` and whether the host names a town at all.

    A town is found by its own domain or as a subdomain of MARKTPLATZ_BASE_DOMAIN.
    ``(None, True)`` means the host looks like a town's but no active town has it.
    """
    host = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
    city = _active_city(domain=host)
    if city is not None:
        return city, True
    base = settings.MARKTPLATZ_BASE_DOMAIN.lower()
    if host.endswith("." + base):
        sub = host[: -len(base) - 1]
        if sub and "." not in sub and sub != "www":
            return _active_city(slug=sub), True
    return None, False


def city_for_slug(slug: str) -> City | None:
    return _active_city(slug=slug)


def cities_active() -> list[City]:
    return list(City.objects.filter(is_active=True).order_by("name"))
