from django.urls import path

from clinic.inquiries import views

app_name = "inquiries"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("consent/", views.consent_texts, name="consent_texts"),
    path("<uuid:inquiry_id>/", views.detail, name="detail"),
    path("<uuid:inquiry_id>/status/", views.change_status, name="change_status"),
    path("<uuid:inquiry_id>/assign/", views.assign, name="assign"),
    path("<uuid:inquiry_id>/notes/", views.add_note, name="add_note"),
    path("<uuid:inquiry_id>/convert/", views.convert, name="convert"),
]
