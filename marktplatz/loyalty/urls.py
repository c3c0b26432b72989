from django.urls import path

from marktplatz.loyalty import views

urlpatterns = [
    path("card/", views.card, name="card"),
    path("card/claim/", views.card_claim, name="card_claim"),
    path("card/join/", views.card_join, name="card_join"),
    path("card/renew/", views.card_renew, name="card_renew"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("merchant/<str:code>/pos/", views.pos, name="pos"),
    path("merchant/<str:code>/pos/card/", views.pos_card, name="pos_card"),
    path("merchant/<str:code>/pos/earn/", views.pos_earn, name="pos_earn"),
    path("merchant/<str:code>/pos/redeem/", views.pos_redeem, name="pos_redeem"),
    path("merchant/<str:code>/pos/cancel/<str:booking>/", views.pos_cancel, name="pos_cancel"),
    # merchant/<code>/pos/today/ (the day's summary) is in purses: it adds vouchers and purse.
    path("merchant/<str:code>/pos/refund/", views.pos_refund, name="pos_refund"),
    path("operator/card/", views.operator_card, name="operator_card"),
    path("operator/card/rules/", views.operator_rules, name="operator_rules"),
    path("operator/card/holders/", views.operator_holders, name="operator_holders"),
    path("operator/card/merchants.csv", views.operator_card_csv, name="operator_card_csv"),
    path(
        "operator/card/batches/<str:code>.pdf", views.operator_batch_pdf, name="operator_batch_pdf"
    ),
]

from marktplatz.loyalty import views_rewards  # noqa: E402

urlpatterns += [
    path("rewards/", views_rewards.rewards_page, name="rewards"),
    path("rewards/<str:code>/claim/", views_rewards.reward_claim, name="reward_claim"),
    path("events/<str:code>/rsvp/", views_rewards.event_rsvp, name="event_rsvp"),
    path("merchant/<str:code>/rewards/", views_rewards.merchant_rewards, name="merchant_rewards"),
    path("operator/rewards/", views_rewards.operator_rewards, name="operator_rewards"),
]
