from django.conf import settings
from django.http import HttpRequest


def city(request: HttpRequest) -> dict:
    return {
        "city": getattr(request, "city", None),
        "site_name": settings.SITE_NAME,
        "LANGUAGES": settings.LANGUAGES,
    }
