"""The treatment block of the patient's chart: active courses with progress, last sessions."""

from clinic.accounts.roles import Role
from clinic.treatment.access import TREATING_ROLES, may_read_note
from clinic.treatment.models import InfusionSession, SessionNote, TesSession, TreatmentCourse
from clinic.treatment.selectors import courses_with_progress, sessions_done

LAST = 5


def chart_section(patient, user) -> dict:
    """What the chart shows about treatment; the chart view has already checked access."""
    if not user.has_role(*TREATING_ROLES):
        return {"courses": [], "visible": False}
    courses = list(
        courses_with_progress(TreatmentCourse.objects.filter(patient=patient).active()).order_by(
            "-approved_at"
        )
    )
    for course in courses:
        course.done = sessions_done(course)
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
