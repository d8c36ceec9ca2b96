from django.urls import path

from clinic.scheduling import views

app_name = "scheduling"
urlpatterns = [
    path("", views.day, name="day"),
    path("print/", views.day_print, name="day_print"),
    path("cell/", views.cell, name="cell"),
    path("week/", views.my_week, name="my_week"),
    path("week/<uuid:user_id>/", views.week, name="week"),
    path("calendar/new/", views.issue_feed, name="issue_feed"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("book/", views.find_patient, name="find_patient"),
    path("book/<uuid:patient_id>/", views.book, name="book"),
    path("book/<uuid:patient_id>/series/", views.series, name="series"),
    path("appointments/<uuid:appointment_id>/", views.appointment, name="appointment"),
    path(
        "appointments/<uuid:appointment_id>/confirmation/",
        views.confirmation,
        name="confirmation",
    ),
    path("appointments/<uuid:appointment_id>/status/", views.change_status, name="change_status"),
    path("appointments/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<uuid:appointment_id>/move/", views.move, name="move"),
    path(
        "appointments/<uuid:appointment_id>/called-back/",
        views.online_called_back,
        name="online_called_back",
    ),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/add/<uuid:patient_id>/", views.waitlist_add, name="waitlist_add"),
    path("waitlist/<uuid:entry_id>/", views.waitlist_entry, name="waitlist_entry"),
    path("waitlist/<uuid:entry_id>/<slug:action>/", views.waitlist_action, name="waitlist_action"),
    path("practitioners/", views.practitioners, name="practitioners"),
    path("practitioners/<uuid:user_id>/", views.practitioner, name="practitioner"),
    path(
        "practitioners/<uuid:user_id>/absences/<uuid:absence_id>/remove/",
        views.absence_remove,
        name="absence_remove",
    ),
    path("visit-types/", views.visit_types, name="visit_types"),
    path("visit-types/new/", views.visit_type_edit, name="visit_type_new"),
    path("visit-types/<slug:code>/", views.visit_type_edit, name="visit_type_edit"),
    path("days-off/", views.days_off, name="days_off"),
]
