"""Error pages and the health check."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render


def town_not_found(request, exception=None):
    return render(request, "errors/404.html", {"town_missing": True}, status=404)


def page_not_found(request, exception=None):
    context = {"town_missing": getattr(request, "town_missing", False)}
    return render(request, "errors/404.html", context, status=404)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def server_error(request):
    # No context processors: the error may come from them or from the database.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
