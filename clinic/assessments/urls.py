from django.urls import path

from clinic.assessments import views

app_name = "assessments"
urlpatterns = [
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<uuid:alert_id>/", views.alert, name="alert"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes/export.csv", views.outcomes_csv, name="outcomes_csv"),
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/<uuid:schedule_id>/toggle/", views.schedule_toggle, name="schedule_toggle"),
    path("on-duty/", views.on_duty, name="on_duty"),
    path("on-duty/<uuid:entry_id>/remove/", views.on_duty_remove, name="on_duty_remove"),
    path("settings/", views.settings_list, name="settings"),
    path("settings/<slug:code>/", views.settings_edit, name="settings_edit"),
    path("licensed-texts/", views.licensed_texts, name="licensed_texts"),
    path("patients/<uuid:patient_id>/enter/", views.enter, name="enter"),
    path("patients/<uuid:patient_id>/send-link/", views.send_link, name="send_link"),
    path("patients/<uuid:patient_id>/outcomes/", views.patient_outcomes, name="patient_outcomes"),
    path("<uuid:assessment_id>/", views.detail, name="detail"),
    path("<uuid:assessment_id>/in-error/", views.mark_in_error, name="mark_in_error"),
    path("<uuid:assessment_id>/review/", views.review, name="review"),
]
