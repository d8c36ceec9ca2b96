from django.urls import path

from clinic.portal import message_views, views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/sign-in/", views.sign_in, name="sign_in"),
    path("portal/sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("portal/sign-in/link/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("portal/sign-in/app/", views.sign_in_totp, name="sign_in_totp"),
    path("portal/authenticator/", views.authenticator, name="authenticator"),
    path("portal/sign-out/", views.sign_out, name="sign_out"),
    path("portal/visits/<uuid:appointment_id>/", views.visit, name="visit"),
    path("portal/visits/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("portal/offers/<uuid:entry_id>/accept/", views.accept_offer, name="accept_offer"),
    path(
        "portal/questionnaires/<uuid:assessment_id>/",
        views.questionnaire,
        name="questionnaire",
    ),
    path("portal/progress/", views.progress, name="progress"),
    path("portal/documents/", views.documents, name="documents"),
    path(
        "portal/summaries/<uuid:summary_id>/summary.pdf",
        views.summary_pdf,
        name="summary_pdf",
    ),
    path("portal/consents/<slug:purpose>/", views.consent_text, name="consent"),
    path("portal/consents/<slug:purpose>/sign/", views.consent_sign, name="consent_sign"),
    path(
        "portal/consents/withdraw/<uuid:consent_id>/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("portal/my-data.json", views.export_json, name="export_json"),
    path("portal/my-data.pdf", views.export_pdf, name="export_pdf"),
    path("portal/access-log/", views.access_log, name="access_log"),
    path("portal/trusted-people/", views.trusted_people, name="trusted_people"),
    path(
        "portal/trusted-people/<uuid:grant_id>/revoke/",
        views.trusted_revoke,
        name="trusted_revoke",
    ),
    path("portal/whose/", views.choose, name="choose"),
    path("portal/messages/", message_views.inbox, name="messages"),
    path("portal/messages/new/", message_views.new_message, name="message_new"),
    path("portal/messages/<uuid:thread_id>/", message_views.thread, name="thread"),
]
