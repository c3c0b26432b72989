from django.urls import path

from marktplatz.settlement import views

urlpatterns = [
    path("operator/settlement/", views.operator_settlement, name="operator_settlement"),
    path("operator/bank/", views.operator_bank_import, name="operator_bank_import"),
    path("operator/money-rules/", views.operator_money_rules, name="operator_money_rules"),
    path(
        "operator/settlement/<str:month>/<str:kind>.xml",
        views.operator_payment_file,
        name="operator_payment_file",
    ),
    path("merchant/<str:code>/statements/", views.merchant_statements, name="merchant_statements"),
    path(
        "merchant/<str:code>/statements/<str:number>/",
        views.statement_detail,
        name="statement_detail",
    ),
    path(
        "merchant/<str:code>/statements/<str:number>.csv",
        views.statement_csv,
        name="statement_csv",
    ),
    path(
        "merchant/<str:code>/statements/<str:number>/invoice.pdf",
        views.statement_invoice_view,
        name="statement_invoice",
    ),
    path(
        "merchant/<str:code>/statements/<str:number>.pdf",
        views.statement_pdf_view,
        name="statement_pdf",
    ),
]
