"""Requests refused before anything looks at them: NUL characters.

PostgreSQL cannot store or compare a string with a NUL (0x00) character and refuses the
whole query, so a NUL typed, pasted or sent anywhere (a path segment, a query parameter,
a form field, a JSON string, a header) would end in a server error wherever the value
reaches the database. No field of ours ever needs one: such a request is a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def has_nul(request: HttpRequest) -> bool:
    """Whether the path, query, headers or body (not uploaded files) carry a NUL."""
    if "\x00" in request.path_info or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
        return True
    if any("\x00" in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
        return True
    if request.method not in BODY_METHODS:
        return False
    if request.content_type == "multipart/form-data":
        # Uploaded files may hold anything; the fields beside them may not.
        return any("\x00" in key + "".join(values) for key, values in request.POST.lists())
    body = request.body
    if b"\x00" in body or b"\\u0000" in body:  # raw, or escaped in a JSON string
        return True
    return b"%00" in body and "\x00" in unquote_plus(body.decode("latin-1"))


class RejectNulMiddleware:
    """A 400 page for a request with a NUL character (before the town is looked up)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not has_nul(request):
            return self.get_response(request)
        from marktplatz.core.views import bad_request

        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            return bad_request(request)
