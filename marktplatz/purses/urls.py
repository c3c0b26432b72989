from django.urls import path

from marktplatz.purses import views, views_till

urlpatterns = [
    path("card/purse/", views.card_purse, name="card_purse"),
    path("employer/<str:code>/", views.employer_home, name="employer_home"),
    path("employer/<str:code>/imports/<str:job>/", views.employer_import, name="employer_import"),
    path("employer/<str:code>/load/", views.employer_load, name="employer_load"),
    path(
        "employer/<str:code>/employees/<str:employee>/active/",
        views.employer_employee_active,
        name="employer_employee_active",
    ),
    path(
        "employer/<str:code>/payroll/<str:month>.csv",
        views.employer_payroll,
        name="employer_payroll",
    ),
    path(
        "employer/<str:code>/invoices/<str:invoice>.pdf",
        views.employer_invoice_pdf,
        name="employer_invoice_pdf",
    ),
    path("merchant/<str:code>/pos/today/", views_till.pos_today, name="pos_today"),
    path(
        "merchant/<str:code>/card-payment/",
        views.merchant_card_payment,
        name="merchant_card_payment",
    ),
    path(
        "operator/employer-invoices/",
        views.operator_employer_invoices,
        name="operator_employer_invoices",
    ),
]
