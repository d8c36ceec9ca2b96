from django.urls import path

from clinic.treatment.views import board, courses, infusions, notes, settings, tes

app_name = "treatment"
urlpatterns = [
    path("board/", board.board, name="board"),
    path("board/partial/", board.board_partial, name="board_partial"),
    path("board/all/", board.board_all, name="board_all"),
    path("board/all/partial/", board.board_all_partial, name="board_all_partial"),
    path("treatment/courses/", courses.course_list, name="courses"),
    path("treatment/courses/<uuid:course_id>/", courses.course_detail, name="course"),
    path("treatment/courses/<uuid:course_id>/close/", courses.course_close, name="course_close"),
    path(
        "treatment/courses/<uuid:course_id>/infusions/new/",
        infusions.infusion_open,
        name="infusion_open",
    ),
    path(
        "treatment/patients/<uuid:patient_id>/courses/new/", courses.course_new, name="course_new"
    ),
    path("treatment/patients/<uuid:patient_id>/tes/new/", tes.tes_new, name="tes_new"),
    path("treatment/patients/<uuid:patient_id>/notes/new/", notes.note_new, name="note_new"),
    path(
        "treatment/visits/<uuid:appointment_id>/infusion/",
        infusions.visit_infusion_start,
        name="visit_infusion_start",
    ),
    path("treatment/infusions/<uuid:session_id>/", infusions.infusion_detail, name="infusion"),
    path(
        "treatment/infusions/<uuid:session_id>/check-in/",
        infusions.infusion_check_in,
        name="infusion_check_in",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/precheck/",
        infusions.infusion_precheck,
        name="infusion_precheck",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/bp-decision/",
        infusions.infusion_bp_decision,
        name="infusion_bp_decision",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/dose/", infusions.infusion_dose, name="infusion_dose"
    ),
    path(
        "treatment/infusions/<uuid:session_id>/preparation/",
        infusions.infusion_preparation,
        name="infusion_preparation",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/preparation/check/",
        infusions.infusion_preparation_check,
        name="infusion_preparation_check",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/start/",
        infusions.infusion_start,
        name="infusion_start",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/interrupt/",
        infusions.infusion_interrupt,
        name="infusion_interrupt",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/resume/",
        infusions.infusion_resume,
        name="infusion_resume",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/rate/", infusions.infusion_rate, name="infusion_rate"
    ),
    path("treatment/infusions/<uuid:session_id>/end/", infusions.infusion_end, name="infusion_end"),
    path(
        "treatment/infusions/<uuid:session_id>/stop/", infusions.infusion_stop, name="infusion_stop"
    ),
    path(
        "treatment/infusions/<uuid:session_id>/administration/",
        infusions.infusion_administration,
        name="infusion_administration",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/vitals/",
        infusions.infusion_vitals,
        name="infusion_vitals",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/vitals/error/",
        infusions.infusion_vitals_error,
        name="infusion_vitals_error",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/scores/",
        infusions.infusion_score,
        name="infusion_score",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/adverse-events/",
        infusions.infusion_adverse_event,
        name="infusion_adverse_event",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/discharge/",
        infusions.infusion_discharge,
        name="infusion_discharge",
    ),
    path(
        "treatment/infusions/<uuid:session_id>/record-<str:language>.pdf",
        infusions.infusion_record,
        name="infusion_record",
    ),
    path(
        "treatment/alerts/<uuid:alert_id>/resolve/", infusions.alert_resolve, name="alert_resolve"
    ),
    path(
        "treatment/alerts/<uuid:alert_id>/acknowledge/",
        infusions.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("treatment/tes/<uuid:tes_id>/", tes.tes_detail, name="tes"),
    path("treatment/tes/<uuid:tes_id>/complete/", tes.tes_complete, name="tes_complete"),
    path("treatment/notes/<uuid:note_id>/", notes.note_detail, name="note"),
    path("treatment/notes/<uuid:note_id>/edit/", notes.note_edit, name="note_edit"),
    path("treatment/notes/<uuid:note_id>/sign/", notes.note_sign, name="note_sign"),
    path("treatment/notes/<uuid:note_id>/addenda/", notes.note_addendum, name="note_addendum"),
    path("treatment/settings/", settings.settings_list, name="settings"),
    path("treatment/settings/<slug:site_code>/", settings.settings_edit, name="settings_edit"),
    path(
        "treatment/settings/<slug:site_code>/changes/<uuid:change_id>/co-sign/",
        settings.settings_co_sign,
        name="settings_co_sign",
    ),
    path(
        "treatment/settings/<slug:site_code>/changes/<uuid:change_id>/reject/",
        settings.settings_reject,
        name="settings_reject",
    ),
]
