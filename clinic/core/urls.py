from django.urls import path

from clinic.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<uuid:message_id>/retry/", views.outbox_retry, name="outbox_retry"),
]
