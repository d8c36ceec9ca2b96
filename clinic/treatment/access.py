"""The only ways a view obtains treatment objects. Another site's object answers 404, as if
absent, and the attempt is audited; a note outside the care team answers 404 the same way."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.locations.models import Room
from clinic.treatment.models import (
    InfusionSession,
    SessionNote,
    TesSession,
    VitalAlert,
)
from clinic.treatment.selectors import infusion_detail_queryset

# Roles that treat: receptionists keep the diary, not the treatment record.
TREATING_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)


def _within_sites(user, obj, site_id, action):
    if not user.has_role(*TREATING_ROLES):
        raise PermissionDenied
    if obj is None:
        raise Http404
    if site_id not in user.site_ids:
        audit(
            user,
            action,
            obj.patient,
            obj=obj,
            outcome=AuditEvent.Outcome.DENIED,
            reason="object of another site",
        )
        raise Http404
    return obj


def get_infusion_for(user, public_id) -> InfusionSession:
    session = infusion_detail_queryset().filter(public_id=public_id).first()
    return _within_sites(user, session, getattr(session, "site_id", None), "infusion.viewed")


def get_alert_for(user, public_id) -> VitalAlert:
    alert = (
        VitalAlert.objects.select_related("session__patient", "session__site")
        .filter(public_id=public_id)
        .first()
    )
    session = alert.session if alert else None
    _within_sites(user, session, getattr(session, "site_id", None), "infusion.viewed")
    return alert


def get_tes_for(user, public_id) -> TesSession:
    tes = (
        TesSession.objects.select_related("patient", "room", "site", "performed_by")
        .filter(public_id=public_id)
        .first()
    )
    return _within_sites(user, tes, getattr(tes, "site_id", None), "tes.viewed")


def get_chair_for(user, public_id, *, site) -> Room:
    """An infusion chair of the given site (the patient's)."""
    chair = Room.objects.filter(
        public_id=public_id, kind=Room.Kind.INFUSION_CHAIR, site=site, is_active=True
    ).first()
    if chair is None:
        raise Http404
    return chair


def may_read_note(user, note) -> bool:
    """The author; the treating physician; for other than psychotherapy, the psychotherapist."""
    patient = note.patient
    if note.author_id == user.pk:
        return True
    if patient.physician_id == user.pk and user.has_role(Role.PHYSICIAN):
        return True
    return note.kind != SessionNote.Kind.PSYCHOTHERAPY and patient.psychotherapist_id == user.pk


def get_note_for(user, public_id) -> SessionNote:
    note = (
        SessionNote.objects.select_related("patient__home_site", "author", "infusion")
        .filter(public_id=public_id)
        .first()
    )
    _within_sites(user, note, getattr(note and note.patient, "home_site_id", None), "note.viewed")
    if not may_read_note(user, note):
        audit(
            user,
            "note.viewed",
            note.patient,
            obj=note,
            outcome=AuditEvent.Outcome.DENIED,
            reason="outside the care team",
        )
        raise Http404
    return note
