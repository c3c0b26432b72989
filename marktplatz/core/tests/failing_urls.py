"""A URL configuration for the error page tests: the project's pages plus one view that
fails with the database gone (every later query raises), as a request can fail mid-way."""

from django.db import OperationalError, connection
from django.urls import path

from marktplatz.core import views as core_views
from marktplatz.urls import urlpatterns as project_urlpatterns

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

QUERIES_AFTER_FAILURE: list[str] = []


def refuse(execute, sql, params, many, context):
    QUERIES_AFTER_FAILURE.append(sql)
    raise OperationalError("the database is gone")


def fail_midway(request):
    connection.execute_wrappers.append(refuse)
    raise RuntimeError("failed half-way through the request")


urlpatterns = [path("fail/", fail_midway, name="fail_midway"), *project_urlpatterns]
