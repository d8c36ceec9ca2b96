from django.urls import path
from django.utils.translation import pgettext_lazy

from clinic.assessments import public_views

app_name = "selfreport"
urlpatterns = [
    path(pgettext_lazy("URL path", "questionnaire/"), public_views.questionnaire, name="form"),
    path(pgettext_lazy("URL path", "questionnaire/done/"), public_views.done, name="done"),
    path(
        pgettext_lazy("URL path", "questionnaire/<str:token>/"),
        public_views.open_link,
        name="open",
    ),
]
