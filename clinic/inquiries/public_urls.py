from django.urls import path
from django.utils.translation import pgettext_lazy

from clinic.inquiries import views

app_name = "contact"
urlpatterns = [
    path(pgettext_lazy("URL path", "contact/"), views.contact, name="form"),
    path(pgettext_lazy("URL path", "contact/thanks/"), views.thanks, name="thanks"),
]
