"""Error pages and the health check."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render

logger = logging.getLogger(__name__)


def town_not_found(request, exception=None):
    return render(request, "errors/404.html", {"town_missing": True}, status=404)


def page_not_found(request, exception=None):
    context = {"town_missing": getattr(request, "town_missing", False)}
    return render(request, "errors/404.html", context, status=404)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


# The last resort when even the 500 page cannot be rendered (a broken template or URL
# configuration): plain HTML in both of the platform's first languages.
PLAIN_500 = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fehler · Error</title><link rel="stylesheet" href="/static/marktplatz/app.css"></head>
<body><main id="main" class="panel narrow"><h1>Ein Fehler ist aufgetreten</h1>
<p>Bitte versuchen Sie es in einigen Minuten erneut.</p>
<h2 lang="en">Something went wrong</h2><p lang="en">Please try again in a few minutes.</p>
<p><a href="/">Marktplatz</a></p></main></body></html>"""


def server_error(request):
    """The 500 page with the town's layout, navigation and language switch.

    The request failed somewhere, perhaps in the database or in a context processor:
    the page is rendered from what the request already holds (its town, its language),
    without context processors and without a single query. If even that fails, plain HTML.
    """
    from django.template import loader

    try:
        context = {
            "request": request,
            "city": getattr(request, "city", None),
            "site_name": settings.SITE_NAME,
            "LANGUAGES": settings.LANGUAGES,
            "csrf_token": get_token(request),
            "error_page": True,  # the navigation shows public links only: no user, no roles
        }
        body = loader.get_template("errors/500.html").render(context)
    except Exception:  # the error page must answer, whatever broke
        logger.exception("the 500 page could not be rendered")
        body = PLAIN_500
    return HttpResponse(body, status=500)


def method_not_allowed(request, allowed: list[str]) -> HttpResponse:
    """A page (with the layout) for a GET to a form's address, say, instead of Django's
    empty 405 answer."""
    response = render(request, "errors/405.html", status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
