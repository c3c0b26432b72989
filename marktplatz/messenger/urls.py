from django.urls import path

from marktplatz.messenger import views

urlpatterns = [
    path("offers/", views.offers, name="offers"),
    path("offers/seen/", views.offer_events, name="offer_events"),
    path("offers/<str:code>/", views.offer_detail, name="offer_detail"),
    path("offers/<str:code>/save/", views.offer_save, name="offer_save"),
    path("follows/", views.follows, name="follows"),
    path("merchants/<str:code>/", views.merchant_page, name="merchant_detail"),
    path("merchants/<str:code>/follow/", views.merchant_follow, name="merchant_follow"),
    path("merchant/<str:code>/offers/", views.merchant_offers, name="merchant_offers"),
    path("merchant/<str:code>/offers/new/", views.merchant_offer_new, name="merchant_offer_new"),
    path(
        "merchant/<str:code>/offers/<str:offer>/",
        views.merchant_offer_edit,
        name="merchant_offer_edit",
    ),
    path(
        "merchant/<str:code>/offers/<str:offer>/withdraw/",
        views.merchant_offer_withdraw,
        name="merchant_offer_withdraw",
    ),
    path("operator/offers/", views.operator_offers, name="operator_offers"),
    path("operator/offers/new/", views.operator_offer_new, name="operator_offer_new"),
    path("operator/offers/<str:offer>/", views.operator_offer_edit, name="operator_offer_edit"),
    path(
        "operator/offers/<str:offer>/withdraw/",
        views.operator_offer_withdraw,
        name="operator_offer_withdraw",
    ),
]
