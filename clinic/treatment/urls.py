from django.urls import path

from clinic.treatment import views

app_name = "treatment"
urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/partial/", views.board_partial, name="board_partial"),
    path("board/all/", views.board_all, name="board_all"),
    path("board/all/partial/", views.board_all_partial, name="board_all_partial"),
    path("treatment/courses/", views.course_list, name="courses"),
    path("treatment/courses/<uuid:course_id>/", views.course_detail, name="course"),
    path("treatment/courses/<uuid:course_id>/close/", views.course_close, name="course_close"),
    path(
        "treatment/courses/<uuid:course_id>/infusions/new/",
        views.infusion_open,
        name="infusion_open",
    ),
    path("treatment/patients/<uuid:patient_id>/courses/new/", views.course_new, name="course_new"),
    path("treatment/patients/<uuid:patient_id>/tes/new/", views.tes_new, name="tes_new"),
    path("treatment/patients/<uuid:patient_id>/notes/new/", views.note_new, name="note_new"),
    path(
        "treatment/visits/<uuid:appointment_id>/infusion/",
        views.visit_infusion_start,
        name="visit_infusion_start",
    ),
    path("treatment/infusions/<uuid:session_id>/", views.infusion_detail, name="infusion"),
    path(
        "treatment/infusions/<uuid:session_id>/check-in/",
        views.infusion_check_in,
        name="infusion_check_in",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/precheck/",
        views.infusion_precheck,
        name="infusion_precheck",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/bp-decision/",
        views.infusion_bp_decision,
        name="infusion_bp_decision",
    ),
    path("treatment/infusions/<uuid:session_id>/dose/", views.infusion_dose, name="infusion_dose"),
    path(
        "treatment/infusions/<uuid:session_id>/start/", views.infusion_start, name="infusion_start"
    ),
    path(
        "treatment/infusions/<uuid:session_id>/interrupt/",
        views.infusion_interrupt,
        name="infusion_interrupt",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/resume/",
        views.infusion_resume,
        name="infusion_resume",
    ),
    path("treatment/infusions/<uuid:session_id>/end/", views.infusion_end, name="infusion_end"),
    path("treatment/infusions/<uuid:session_id>/stop/", views.infusion_stop, name="infusion_stop"),
    path(
        "treatment/infusions/<uuid:session_id>/administration/",
        views.infusion_administration,
        name="infusion_administration",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/vitals/",
        views.infusion_vitals,
        name="infusion_vitals",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/vitals/error/",
        views.infusion_vitals_error,
        name="infusion_vitals_error",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/scores/",
        views.infusion_score,
        name="infusion_score",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/adverse-events/",
        views.infusion_adverse_event,
        name="infusion_adverse_event",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/discharge/",
        views.infusion_discharge,
        name="infusion_discharge",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/record-<str:language>.pdf",
        views.infusion_record,
        name="infusion_record",
    ),
    path("treatment/alerts/<uuid:alert_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path(
        "treatment/alerts/<uuid:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("treatment/tes/<uuid:tes_id>/", views.tes_detail, name="tes"),
    path("treatment/tes/<uuid:tes_id>/complete/", views.tes_complete, name="tes_complete"),
    path("treatment/notes/<uuid:note_id>/", views.note_detail, name="note"),
    path("treatment/notes/<uuid:note_id>/edit/", views.note_edit, name="note_edit"),
    path("treatment/notes/<uuid:note_id>/sign/", views.note_sign, name="note_sign"),
    path("treatment/notes/<uuid:note_id>/addenda/", views.note_addendum, name="note_addendum"),
    path("treatment/settings/", views.settings_list, name="settings"),
    path("treatment/settings/<slug:site_code>/", views.settings_edit, name="settings_edit"),
]
