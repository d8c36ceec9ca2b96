from django.urls import path

from clinic.billing import views

app_name = "billing"
urlpatterns = [
    path("prices/", views.prices, name="prices"),
    path("prices/set/", views.set_price, name="set_price"),
    path("prices/packages/", views.define_package, name="define_package"),
    path("prices/policy/", views.save_policy, name="save_policy"),
    path("patients/", views.find, name="find"),
    path("patients/<uuid:patient_id>/", views.account, name="account"),
    path("patients/<uuid:patient_id>/pay/", views.take_payment, name="take_payment"),
    path(
        "patients/<uuid:patient_id>/link/",
        views.request_online_payment,
        name="request_online_payment",
    ),
    path("online/callback/", views.payment_request_callback, name="payment_request_callback"),
    path("patients/<uuid:patient_id>/package/", views.sell_package, name="sell_package"),
    path("patients/<uuid:patient_id>/invoice/", views.issue_invoice, name="issue_invoice"),
    path("charges/<uuid:charge_id>/correct/", views.correct_charge, name="correct_charge"),
    path("payments/<uuid:payment_id>/refund/", views.refund, name="refund"),
    path("invoices/<uuid:invoice_id>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("cash/", views.cash, name="cash"),
    path("cash/open/", views.open_till, name="open_till"),
    path("cash/close/", views.close_till, name="close_till"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/<uuid:key>/retry/", views.retry_receipt, name="retry_receipt"),
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:report>.csv", views.report_csv, name="report_csv"),
]
