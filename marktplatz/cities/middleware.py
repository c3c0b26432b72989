"""Finding the town of a request, scoping its queries and choosing its language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from marktplatz.cities.models import RESERVED_SLUGS
from marktplatz.cities.selectors import city_for_host, city_for_slug
from marktplatz.core.tenancy import city_scope, scopes_disabled

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


class CityMiddleware:
    """Set ``request.city`` from the host name or a ``/<city-slug>/`` path prefix.

    With a path prefix the prefix moves from ``path_info`` into the script prefix, so
    every URL pattern and ``reverse()`` works the same on a town's own domain and below
    ``/<slug>/`` on a shared host. All queries of the request run in the town's scope.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.city = None
        # Not every handler resets the script prefix per request (the test client does
        # not), so restore the one we found when we are done.
        script_prefix = get_script_prefix()
        with scopes_disabled():
            city, town_host = city_for_host(request.get_host())
            if city is None and not town_host:
                city = self._city_from_path(request)
        if city is None and town_host:
            from marktplatz.core.views import town_not_found

            with city_scope(None):
                response = town_not_found(request)
            set_script_prefix(script_prefix)
            return response
        request.city = city
        if city is not None:
            timezone.activate(city.time_zone)
        try:
            if request.path_info.startswith("/admin/"):
                # Django admin is for platform superusers and spans all towns.
                with scopes_disabled():
                    return self.get_response(request)
            with city_scope(city):
                return self.get_response(request)
        finally:
            timezone.deactivate()
            set_script_prefix(script_prefix)

    @staticmethod
    def _city_from_path(request: HttpRequest):
        segment, _sep, rest = request.path_info.lstrip("/").partition("/")
        if not segment:
            return None
        city = city_for_slug(segment)
        if city is None:
            # Should this end in a 404, the page says that no such town exists.
            request.town_missing = segment.split(".")[0] not in RESERVED_SLUGS
            return None
        request.path_info = "/" + rest
        set_script_prefix(get_script_prefix() + segment + "/")
        return city


def chosen_language(cookie: str | None, city) -> str:
    """The language of a request (a page or a WebSocket): the visitor's choice (the
    language cookie), else the town's default, else the platform's."""
    if cookie in SUPPORTED_LANGUAGES:
        return cookie
    return city.default_language if city else settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Activate the language: the visitor's choice (cookie), else the town's default.

    The browser's Accept-Language is deliberately not used: a town is German (or French,
    Italian) by default, and the switcher in every page header is one click away.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(
            request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME), getattr(request, "city", None)
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
