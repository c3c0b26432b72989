"""URL patterns. The same patterns serve a town on its own host and below /<town-slug>/
on a shared host: CityMiddleware moves the prefix into the script prefix."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse
from django.views.static import serve

from marktplatz.api.pos import api as pos_api
from marktplatz.core import views as core_views

if settings.POS_BENCH_ANCHOR:
    import marktplatz.api.anchor  # noqa: F401  (registers the benchmark's anchor route)

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error


def admin_login(request, extra_context=None):
    """Admin logins go through allauth, so that two-factor authentication applies too.

    A logged-in person without admin rights gets a 403 (not a redirect loop via login).
    """
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next", "/admin/"), reverse("account_login"))


admin.site.login = admin_login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/pos/v1/", pos_api.urls),
    path("", include("marktplatz.accounts.urls")),
    path("", include("marktplatz.audit.urls")),
    path("", include("marktplatz.cities.urls")),
    path("", include("marktplatz.merchants.urls")),
    path("", include("marktplatz.messenger.urls")),  # after merchants/signup/
    path("", include("marktplatz.chat.urls")),
    path("", include("marktplatz.orders.urls")),
    path("", include("marktplatz.notifications.urls")),
    path("", include("marktplatz.newsletters.urls")),
    path("", include("marktplatz.loyalty.urls")),
    path("", include("marktplatz.vouchers.urls")),
    path("", include("marktplatz.purses.urls")),
    path("", include("marktplatz.settlement.urls")),
    path("", include("marktplatz.api.urls")),
    path("", include("marktplatz.wallet.urls")),
    path("", include("marktplatz.dashboard.urls")),
    path(
        "media/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT},
        name="media",
    ),
]
