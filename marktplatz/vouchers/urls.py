from django.urls import path

from marktplatz.vouchers import views

urlpatterns = [
    path("vouchers/balance/", views.voucher_balance, name="voucher_balance"),
    path("vouchers/buy/", views.voucher_shop, name="voucher_shop"),
    path("vouchers/orders/<str:code>/", views.voucher_order, name="voucher_order"),
    path(
        "vouchers/orders/<str:code>/invoice.pdf",
        views.voucher_order_invoice,
        name="voucher_order_invoice",
    ),
    path("operator/voucher-orders/", views.operator_voucher_orders, name="operator_voucher_orders"),
    path(
        "operator/voucher-orders/<str:code>/",
        views.operator_voucher_order,
        name="operator_voucher_order",
    ),
    path("merchant/<str:code>/vouchers/", views.merchant_vouchers, name="merchant_vouchers"),
    path("operator/vouchers/", views.operator_vouchers, name="operator_vouchers"),
    path("operator/vouchers/<str:code>/", views.operator_voucher, name="operator_voucher"),
    path(
        "operator/vouchers/<str:code>/<str:size>.pdf",
        views.operator_voucher_pdf,
        name="operator_voucher_pdf",
    ),
]
