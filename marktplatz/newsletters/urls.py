from django.urls import path

from marktplatz.newsletters import views

urlpatterns = [
    path("newsletters/<str:code>/subscribe/", views.subscribe, name="newsletter_subscribe"),
    path("newsletters/confirm/<str:code>/<str:token>/", views.confirm, name="newsletter_confirm"),
    path(
        "newsletters/unsubscribe/<str:code>/<str:token>/",
        views.unsubscribe,
        name="newsletter_unsubscribe",
    ),
    path("merchant/<str:code>/newsletter/", views.merchant_newsletter, name="merchant_newsletter"),
    path("operator/newsletter/", views.town_newsletter, name="operator_newsletter"),
    path("newsletters/<str:code>/issues/", views.issues, name="newsletter_issues"),
    path("newsletters/<str:code>/issues/new/", views.issue_new, name="newsletter_issue_new"),
    path("newsletters/<str:code>/issues/<str:issue>/", views.issue_detail, name="newsletter_issue"),
    path(
        "newsletters/<str:code>/issues/<str:issue>/send/",
        views.issue_send,
        name="newsletter_issue_send",
    ),
]
