from django.urls import path

from marktplatz.wallet import views

urlpatterns = [
    path("card/wallet/apple.pkpass", views.apple_download, name="wallet_apple"),
    path("card/wallet/google/", views.google_save, name="wallet_google"),
    path("wallet/apple/", views.apple_root, name="wallet_apple_root"),
    path(
        "wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>",
        views.apple_registration,
        name="wallet_apple_registration",
    ),
    path(
        "wallet/apple/v1/devices/<str:device>/registrations/<str:pass_type>",
        views.apple_updated,
        name="wallet_apple_updated",
    ),
    path(
        "wallet/apple/v1/passes/<str:pass_type>/<str:serial>",
        views.apple_latest,
        name="wallet_apple_latest",
    ),
    path("wallet/apple/v1/log", views.apple_log, name="wallet_apple_log"),
]
