from django.urls import path

from marktplatz.merchants import views

urlpatterns = [
    path("merchants/", views.directory, name="merchant_directory"),
    path("merchants/signup/", views.signup, name="merchant_signup"),
    path("merchant/<str:code>/", views.merchant_home, name="merchant_home"),
    path("merchant/<str:code>/edit/", views.merchant_edit, name="merchant_edit"),
    path("merchant/<str:code>/staff/", views.merchant_staff, name="merchant_staff"),
    path("operator/merchants/", views.operator_merchants, name="operator_merchants"),
    path("operator/merchants/new/", views.operator_merchant_new, name="operator_merchant_new"),
    path("operator/merchants/<str:code>/", views.operator_merchant, name="operator_merchant"),
    path("operator/employers/", views.operator_employers, name="operator_employers"),
]
