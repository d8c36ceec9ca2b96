from django.urls import path

from clinic.locations import views

app_name = "locations"
urlpatterns = [
    path("", views.site_list, name="site_list"),
    path("closures/new/", views.closure_add, name="closure_add"),
    path("closures/<uuid:closure_id>/", views.closure_edit, name="closure_edit"),
    path("closures/<uuid:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("switch/", views.switch_site, name="switch_site"),
    path("<slug:site_code>/edit/", views.site_edit, name="site_edit"),
    path("<slug:site_code>/rooms/new/", views.room_add, name="room_add"),
    path("rooms/<uuid:room_id>/", views.room_edit, name="room_edit"),
]
