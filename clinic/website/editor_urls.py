from django.urls import path

from clinic.website import editor_views

app_name = "content"
urlpatterns = [
    path("", editor_views.page_list, name="list"),
    path("new/", editor_views.page_add, name="add"),
    path("<uuid:page_id>/", editor_views.page_edit, name="edit"),
    path("<uuid:page_id>/preview/<str:language>/", editor_views.page_preview, name="preview"),
]
