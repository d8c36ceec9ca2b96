from django.urls import path

from clinic.controlled_drugs import views

app_name = "controlled_drugs"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("receive/", views.receive, name="receive"),
    path("administer/", views.administer, name="administer"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/drugs/<uuid:drug_id>/", views.drug_change, name="drug_change"),
    path("catalogue/safes/<uuid:safe_id>/", views.safe_change, name="safe_change"),
    path("catalogue/suppliers/<int:supplier_id>/", views.supplier_change, name="supplier_change"),
    path("journal/", views.journal_page, name="journal"),
    path("journal.pdf", views.journal_pdf, name="journal_pdf"),
    path("journal.csv", views.journal_csv, name="journal_csv"),
    path("entries/<uuid:entry_id>/", views.entry_detail, name="entry_detail"),
    path("entries/<uuid:entry_id>/residue/", views.destroy_residue, name="destroy_residue"),
    path("entries/<uuid:entry_id>/reverse/", views.reversal, name="reverse"),
    path("holdings/<uuid:holding_id>/", views.holding_detail, name="holding_detail"),
    path("holdings/<uuid:holding_id>/transfer/", views.transfer, name="transfer"),
    path("holdings/<uuid:holding_id>/write-off/", views.write_off, name="write_off"),
    path("safes/<uuid:safe_id>/count/", views.count, name="count"),
    path("counts/<uuid:count_id>/", views.count_detail, name="count_detail"),
    path("counts/<uuid:count_id>/lines/<int:line_id>/resolve/", views.resolve, name="resolve"),
]
