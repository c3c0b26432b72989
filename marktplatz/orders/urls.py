from django.urls import path

from marktplatz.orders import views

urlpatterns = [
    path("merchants/<str:code>/order/", views.order_new, name="order_new"),
    path("orders/", views.my_orders, name="my_orders"),
    path("orders/<str:code>/", views.order_detail, name="order_detail"),
    path("orders/<str:code>/<str:step>/", views.order_step, name="order_step"),
    path("merchant/<str:code>/orders/", views.order_board, name="order_board"),
    path("merchant/<str:code>/products/", views.product_list, name="product_list"),
    path("merchant/<str:code>/products/new/", views.product_new, name="product_new"),
    path("merchant/<str:code>/products/<str:product>/", views.product_edit, name="product_edit"),
    path(
        "merchant/<str:code>/products/<str:product>/availability/",
        views.product_availability,
        name="product_availability",
    ),
    path("merchant/<str:code>/order-settings/", views.order_settings, name="order_settings"),
]
