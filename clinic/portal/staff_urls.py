from django.urls import path

from clinic.portal import message_views, staff_views

app_name = "portal_staff"
urlpatterns = [
    path("patients/<uuid:patient_id>/invite/", staff_views.invite, name="invite"),
    path(
        "patients/<uuid:patient_id>/release-scores/",
        staff_views.release_scores,
        name="release_scores",
    ),
    path(
        "patients/<uuid:patient_id>/trusted/<uuid:grant_id>/revoke/",
        staff_views.revoke_trusted,
        name="revoke_trusted",
    ),
    path(
        "patients/<uuid:patient_id>/authenticator/reset/",
        staff_views.reset_authenticator,
        name="reset_authenticator",
    ),
    path("notes/<uuid:note_id>/summary/", staff_views.summary, name="summary"),
    path("sites/", staff_views.policies, name="policies"),
    path("sites/<slug:site_code>/", staff_views.policy, name="policy"),
    path("messages/", message_views.staff_inbox, name="messages"),
    path("messages/<uuid:thread_id>/", message_views.staff_thread, name="thread"),
    path("messages/<uuid:thread_id>/close/", message_views.staff_close, name="close_thread"),
]
