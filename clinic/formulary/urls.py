from django.urls import path

from clinic.formulary import views

app_name = "formulary"
urlpatterns = [
    path("", views.rules, name="rules"),
    path("sign-off/", views.sign_off, name="sign_off"),
    path("doses/<slug:drug_code>/", views.edit_dose, name="edit_dose"),
    path("changes/<uuid:change_id>/co-sign/", views.co_sign, name="co_sign"),
    path("changes/<uuid:change_id>/reject/", views.reject, name="reject"),
]
