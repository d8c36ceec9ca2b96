"""The public site's pages. Paths are translated: /uk/likuvannia/..., /en/conditions/..."""

from django.urls import path
from django.utils.translation import pgettext_lazy

from clinic.website import views
from clinic.website.models import Page

C, M, A = Page.Section.CONDITION, Page.Section.METHOD, Page.Section.ARTICLE

app_name = "website"
urlpatterns = [
    path("", views.home, name="home"),
    path(
        pgettext_lazy("URL path", "conditions/"),
        views.section_list,
        {"section": C},
        name="conditions",
    ),
    path(
        pgettext_lazy("URL path", "conditions/<slug:slug>/"),
        views.page_detail,
        {"section": C},
        name="condition",
    ),
    path(pgettext_lazy("URL path", "methods/"), views.section_list, {"section": M}, name="methods"),
    path(
        pgettext_lazy("URL path", "methods/<slug:slug>/"),
        views.page_detail,
        {"section": M},
        name="method",
    ),
    path(
        pgettext_lazy("URL path", "articles/"), views.section_list, {"section": A}, name="articles"
    ),
    path(
        pgettext_lazy("URL path", "articles/<slug:slug>/"),
        views.page_detail,
        {"section": A},
        name="article",
    ),
    path(pgettext_lazy("URL path", "contacts/"), views.contacts, name="contacts"),
]
