from django.urls import path

from clinic.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.register, name="register"),
    path("consent-texts/", views.consent_texts, name="consent_texts"),
    path("<uuid:patient_id>/", views.patient_chart, name="chart"),
    path("<uuid:patient_id>/details/", views.edit_details, name="edit_details"),
    path("<uuid:patient_id>/consents/new/", views.add_consent, name="add_consent"),
    path("consents/<uuid:consent_id>/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("<uuid:patient_id>/intake/", views.edit_intake, name="intake"),
    path("<uuid:patient_id>/measurements/new/", views.add_measurement, name="add_measurement"),
    path(
        "measurements/<uuid:measurement_id>/error/",
        views.strike_out_measurement,
        name="strike_out_measurement",
    ),
    path(
        "blood-pressure/<uuid:reading_id>/error/",
        views.strike_out_blood_pressure,
        name="strike_out_blood_pressure",
    ),
    path("<uuid:patient_id>/medications/new/", views.add_medication, name="add_medication"),
    path("medications/<uuid:medication_id>/stop/", views.stop_medication, name="stop_medication"),
    path(
        "medications/<uuid:medication_id>/error/",
        views.strike_out_medication,
        name="strike_out_medication",
    ),
    path("<uuid:patient_id>/trials/new/", views.add_trial, name="add_trial"),
    path("trials/<uuid:trial_id>/error/", views.strike_out_trial, name="strike_out_trial"),
    path(
        "<uuid:patient_id>/treatments/new/", views.add_prior_treatment, name="add_prior_treatment"
    ),
    path(
        "treatments/<uuid:treatment_id>/error/",
        views.strike_out_prior_treatment,
        name="strike_out_prior_treatment",
    ),
    path("<uuid:patient_id>/ketamine/", views.decide_eligibility, name="decide_eligibility"),
    path("<uuid:patient_id>/notes/new/", views.new_note, name="new_note"),
    path("notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("notes/<uuid:note_id>/sign/", views.sign_note, name="sign_note"),
    path("<uuid:patient_id>/privacy/new/", views.add_privacy_request, name="add_privacy_request"),
    path(
        "privacy/<uuid:request_id>/answer/",
        views.complete_privacy_request,
        name="complete_privacy_request",
    ),
    path("privacy/<uuid:request_id>/erase/", views.process_erasure, name="process_erasure"),
    path("<uuid:patient_id>/export.json", views.export_json, name="export_json"),
    path("<uuid:patient_id>/summary.pdf", views.export_pdf, name="export_pdf"),
]
