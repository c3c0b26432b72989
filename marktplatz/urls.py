"""URL patterns. The same patterns serve a town on its own host and below /<town-slug>/
on a shared host: CityMiddleware moves the prefix into the script prefix."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from django.views.static import serve

from marktplatz.core import views as core_views

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

# Admin logins go through allauth, so that two-factor authentication applies there too.
admin.site.login = RedirectView.as_view(url=reverse_lazy("account_login"), query_string=True)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("marktplatz.accounts.urls")),
    path("", include("marktplatz.audit.urls")),
    path("", include("marktplatz.cities.urls")),
    path("", include("marktplatz.merchants.urls")),
    path("", include("marktplatz.dashboard.urls")),
    path(
        "media/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
        name="media",
    ),
]
