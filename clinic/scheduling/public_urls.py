from django.urls import path
from django.utils.translation import pgettext_lazy

from clinic.scheduling import public_views

app_name = "booking"
urlpatterns = [
    path(pgettext_lazy("URL path", "book/"), public_views.start, name="start"),
    path(pgettext_lazy("URL path", "book/hold/"), public_views.hold, name="hold"),
    path(
        pgettext_lazy("URL path", "book/<uuid:booking_id>/"),
        public_views.details,
        name="details",
    ),
    path(
        pgettext_lazy("URL path", "book/<uuid:booking_id>/code/"),
        public_views.code,
        name="code",
    ),
    path(
        pgettext_lazy("URL path", "book/<uuid:booking_id>/booked/"),
        public_views.done,
        name="done",
    ),
]
