"""The treatment block of the patient's chart: active courses with progress, last sessions."""

from clinic.accounts.roles import Role
from clinic.courses.models import Course
from clinic.treatment.access import TREATING_ROLES, may_read_note
from clinic.treatment.models import InfusionSession, SessionNote, TesSession
from clinic.treatment.selectors import courses_with_progress, sessions_done

LAST = 5


def _active_courses(patient) -> list:
    """Active courses with their progress, newest first, read once per patient object: the
    chart's summary line and its treatment section both show them."""
    cached = patient.__dict__.get("_treatment_active_courses")
    if cached is None:
        cached = list(
            courses_with_progress(Course.objects.filter(patient=patient).active()).order_by(
                "-approved_at"
            )
        )
        for course in cached:
            course.done = sessions_done(course)
        patient.__dict__["_treatment_active_courses"] = cached
    return cached


def chart_section(patient, user) -> dict:
    """What the chart shows about treatment; the chart view has already checked access."""
    if not user.has_role(*TREATING_ROLES):
        return {"courses": [], "visible": False}
    courses = _active_courses(patient)
    notes = [
        note
        for note in SessionNote.objects.filter(patient=patient).select_related("patient")[:20]
        if may_read_note(user, note)
    ][:LAST]
    return {
        "visible": True,
        "courses": courses,
        "infusions": InfusionSession.objects.filter(patient=patient).order_by("-created_at")[:LAST],
        "tes_sessions": TesSession.objects.filter(patient=patient).order_by("-started_at")[:LAST],
        "notes": notes,
        "can_approve": user.has_role(Role.PHYSICIAN),
        "can_infuse": user.has_role(Role.PHYSICIAN, Role.NURSE),
        "can_write_notes": user.has_role(Role.PHYSICIAN, Role.PSYCHOTHERAPIST),
    }


def chart_provider(patient, user):
    """The chart's treatment section (patients/chart.py): active courses with progress, the
    last sessions and notes, and a timeline item per session."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from clinic.patients.access import can_read_clinical
    from clinic.patients.chart import ChartSection, TimelineItem

    if not can_read_clinical(user, patient):
        return None
    data = chart_section(patient, user)
    if not data["visible"]:
        return None
    data["infusions"] = list(data["infusions"])
    data["tes_sessions"] = list(data["tes_sessions"])
    timeline = [
        TimelineItem(
            s.infusion_started_at or s.created_at,
            "session",
            _("Ketamine infusion (%(status)s)") % {"status": s.get_status_display()},
            reverse("treatment:infusion", args=[s.public_id]),
        )
        for s in data["infusions"]
    ] + [
        TimelineItem(
            t.started_at, "session", _("TES session"), reverse("treatment:tes", args=[t.public_id])
        )
        for t in data["tes_sessions"]
    ]
    return ChartSection(
        "treatment", _("Treatment"), "treatment/_chart_section.html", {"section": data}, timeline
    )


def active_course_fact(patient, user):
    """(label, value) for the chart's summary line: the active course and its progress."""
    from django.utils.translation import gettext as _

    from clinic.patients.access import can_read_clinical

    if not user.has_role(*TREATING_ROLES) or not can_read_clinical(user, patient):
        return None
    courses = _active_courses(patient)
    if not courses:
        return None
    course = courses[0]
    return (
        _("Active course"),
        _("%(modality)s, session %(done)s of %(total)s")
        % {
            "modality": course.get_modality_display(),
            "done": course.done,
            "total": course.planned_sessions,
        },
    )
