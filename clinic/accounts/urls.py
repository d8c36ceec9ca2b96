from django.urls import path

from clinic.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("new/", views.staff_add, name="staff_add"),
    path("<uuid:user_id>/", views.staff_edit, name="staff_edit"),
    path("<uuid:user_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("<uuid:user_id>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
]
