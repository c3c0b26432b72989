"""Every answer under ``/<town>/api/pos/v1/`` is JSON, errors included.

The API's own errors are answered by its exception handlers (marktplatz.api.pos). What
happens outside of them, an unknown path (404 from the URL resolver), a method a route
does not take (405), a body over the limit (413), a NUL character (400) or an error in
a middleware (500), would otherwise be an HTML page that a cash register cannot read.
This middleware runs first (outermost, in both middleware chains) and answers those as
``{"error": code, "message": text}``; the rendered docs at ``…/docs`` stay a page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from marktplatz.core.middleware import has_nul
from marktplatz.core.tenancy import scopes_disabled

API_PATH = re.compile(r"^(?:/[^/]+)?/api/pos/v1/")
DOCS_PATH = re.compile(r"^(?:/[^/]+)?/api/pos/v1/docs")


def is_api_path(path: str) -> bool:
    return bool(API_PATH.match(path)) and not DOCS_PATH.match(path)


def reason(status: int) -> tuple[str, str]:
    if status == 404:
        return "not_found", _("There is no such path in the POS API.")
    if status == 405:
        return "method_not_allowed", _("This path of the POS API does not take this method.")
    if status == 413:
        return "payload_too_large", _("The request body is larger than %(limit)s bytes.") % {
            "limit": settings.POS_API_MAX_BODY_BYTES
        }
    if status == 401:
        return "unauthorized", _("A valid terminal key of this town is required.")
    if status < 500:
        return "bad_request", _("The request is not valid.")
    return "server_error", _(
        "Something went wrong on our side. Send the request again with the same "
        "Idempotency-Key: it is booked at most once."
    )


def error_response(status: int, code: str = "", message: str = "") -> JsonResponse:
    if not code:
        code, message = reason(status)
    return JsonResponse({"error": code, "message": message}, status=status)


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path_info):
            return self.get_response(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        # The inner handlers' page: keep the status and headers (Allow, security headers),
        # answer in the request's language.
        language = getattr(request, "LANGUAGE_CODE", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            code, message = reason(response.status_code)
        response.content = json.dumps({"error": code, "message": message}).encode()
        response["Content-Type"] = "application/json"
        return response

    @staticmethod
    def _refusal(request: HttpRequest) -> HttpResponse | None:
        """A body too large or a NUL character: answered before the town is looked up,
        in the town's language when its host or path can be read safely."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        too_large = length > settings.POS_API_MAX_BODY_BYTES
        nul = not too_large and has_nul(request)
        if length >= 0 and not too_large and not nul:
            return None
        with translation.override(_town_language(request)):
            if too_large:
                return error_response(413)
            if nul:
                return error_response(
                    400,
                    "invalid_request",
                    _("The request contains a NUL character, which no field takes."),
                )
            return error_response(400)


def _town_language(request: HttpRequest) -> str:
    """The default language of the request's town (by host or path prefix), else ours."""
    from marktplatz.cities.selectors import city_for_host, city_for_slug

    if "\x00" in request.path_info + request.META.get("HTTP_HOST", ""):
        return settings.LANGUAGE_CODE
    try:
        with scopes_disabled():
            city, _town_host = city_for_host(request.get_host())
            if city is None:
                city = city_for_slug(request.path_info.lstrip("/").partition("/")[0])
    except DisallowedHost:
        city = None
    return city.default_language if city else settings.LANGUAGE_CODE
