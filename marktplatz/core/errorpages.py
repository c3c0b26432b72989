"""Error answers as pages: Django's own 405 (a view that takes only POST, opened by a link
or typed into the address bar) comes without a body; this shows the layout, the
navigation and the language switch instead, as the other error pages do."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed


class ErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            from marktplatz.core.views import method_not_allowed

            allowed = [m.strip() for m in response.get("Allow", "").split(",") if m.strip()]
            return method_not_allowed(request, allowed)
        return response
