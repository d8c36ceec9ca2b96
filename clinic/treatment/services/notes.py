"""Session notes."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.core.audit import audit
from clinic.treatment import links
from clinic.treatment.models import (
    SessionNote,
)
from clinic.treatment.selectors import (
    SESSION_NOTE,
)
from clinic.treatment.services.common import (
    TreatmentRefused,
)
from clinic.treatment.services.visits import (
    check_visit,
)


@transaction.atomic
def write_session_note(
    patient, *, kind, held_on, text, course=None, infusion=None, appointment=None, actor
) -> SessionNote:
    """A draft note of a psychotherapy, integration, body-oriented or rehabilitation session."""
    if held_on > timezone.localdate():
        raise TreatmentRefused(_("The session date cannot be in the future."))
    if infusion is not None and infusion.patient_id != patient.pk:
        raise TreatmentRefused(_("Choose an infusion of this patient."))
    if course is not None and course.patient_id != patient.pk:
        raise TreatmentRefused(_("Choose a course of this patient."))
    if appointment is not None:
        appointment = links.lock_visit(appointment)
        check_visit(appointment, patient=patient, kind=SESSION_NOTE, today_only=False)
        if held_on != timezone.localdate(appointment.starts_at):
            raise TreatmentRefused(_("The session date must be the day of the visit."))
        if appointment.session_notes.filter(author=actor).exists():
            raise TreatmentRefused(_("You have already written the note of this visit."))
    note = SessionNote.objects.create(
        patient=patient,
        kind=kind,
        held_on=held_on,
        text=text,
        course=course,
        infusion=infusion,
        appointment=appointment,
        author=actor,
    )
    audit(actor, "note.written", patient, obj=note, reason=kind)
    return note
