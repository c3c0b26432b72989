from django.urls import path

from marktplatz.vouchers import views

urlpatterns = [
    path("vouchers/balance/", views.voucher_balance, name="voucher_balance"),
    path("merchant/<str:code>/vouchers/", views.merchant_vouchers, name="merchant_vouchers"),
    path("operator/vouchers/", views.operator_vouchers, name="operator_vouchers"),
    path("operator/vouchers/<str:code>/", views.operator_voucher, name="operator_voucher"),
    path(
        "operator/vouchers/<str:code>/<str:size>.pdf",
        views.operator_voucher_pdf,
        name="operator_voucher_pdf",
    ),
]
