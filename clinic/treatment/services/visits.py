"""The visit a session fulfils: which booked visit a treatment session may be recorded
against, its check-in, and what happens to it when the session ends early.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.scheduling.rules import BookingRefused
from clinic.treatment import links
from clinic.treatment.models import InfusionSession, TesSession
from clinic.treatment.selectors import SESSION_INFUSION, SESSION_TES, session_kind
from clinic.treatment.services.common import (
    TreatmentRefused,
)

OPEN_VISIT = ("booked", "checked_in")


def check_visit(appointment, *, patient, kind, today_only=True):
    """Refuse a visit that cannot carry this session; the visit is locked by the caller."""
    if appointment.patient_id != patient.pk:
        raise TreatmentRefused(
            _("This visit belongs to another patient."), action="session.visit.refused"
        )
    if appointment.status == "cancelled":
        raise TreatmentRefused(_("This visit was cancelled."), action="session.visit.refused")
    if appointment.status not in OPEN_VISIT and (today_only or appointment.status != "completed"):
        raise TreatmentRefused(
            _("A visit that is “%(status)s” cannot take a session.")
            % {"status": appointment.get_status_display()},
            action="session.visit.refused",
        )
    if session_kind(appointment.visit_type) != kind:
        raise TreatmentRefused(
            _("This visit is not booked for this kind of session."),
            action="session.visit.refused",
        )
    if today_only and timezone.localdate(appointment.starts_at) != timezone.localdate():
        raise TreatmentRefused(
            _("A session is started on the day of its visit."), action="session.visit.refused"
        )
    taken = {
        SESSION_INFUSION: InfusionSession.objects.filter(appointment=appointment),
        SESSION_TES: TesSession.objects.filter(appointment=appointment),
    }.get(kind)
    if taken is not None and taken.exists():
        raise TreatmentRefused(
            _("This visit already has its session."), action="session.visit.refused"
        )


def check_in_visit(appointment, *, actor):
    if appointment.status != "booked":
        return
    try:
        links.check_in_visit(appointment, actor=actor)
    except BookingRefused as refusal:
        raise TreatmentRefused(str(refusal), action="session.visit.refused") from None


def change_visit_room(appointment, *, room, actor):
    """The patient sits in another chair than the one booked: the visit's room follows."""
    try:
        links.change_visit_room(appointment, room=room, actor=actor)
    except BookingRefused as refusal:
        raise TreatmentRefused(str(refusal), action="session.visit.refused") from None


def visit_session_ended(session, *, reason, actor):
    """An aborted infusion leaves its visit checked in, with a line in the visit's history."""
    if session.appointment_id is not None:
        links.note_visit_session_ended(
            session.appointment,
            note=_("Infusion aborted: %(reason)s") % {"reason": reason},
            actor=actor,
        )
