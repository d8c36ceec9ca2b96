"""The only way a view obtains a course of care. A course belongs to its site: treating staff
of that site see it; another site's course answers 404, as if absent, and the attempt is
audited."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.courses.models import Course

# Roles that treat: receptionists book a course's visits from the diary, not from the plan.
TREATING_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)


def get_course_for(user, public_id, *, roles=TREATING_ROLES) -> Course:
    """A course at one of the user's sites, for a user holding one of `roles`."""
    if not user.has_role(*roles):
        raise PermissionDenied
    course = (
        Course.objects.select_related("patient", "site", "approved_by", "responsible_physician")
        .filter(public_id=public_id)
        .first()
    )
    if course is None:
        raise Http404
    if course.site_id not in user.site_ids:
        audit(
            user,
            "course.viewed",
            course.patient,
            obj=course,
            outcome=AuditEvent.Outcome.DENIED,
            reason="object of another site",
        )
        raise Http404
    return course


def get_patient_course_for(user, patient, public_id) -> Course:
    """A course of a patient the caller has already obtained through the patients' funnel
    (booking staff included): another patient's course answers 404."""
    course = Course.objects.filter(public_id=public_id, patient=patient).first()
    if course is None or course.site_id not in user.site_ids:
        raise Http404
    return course


# The visit type that books a modality's sessions (the clinic's visit-type codes, see
# scheduling's visit types); a modality without one is booked by choosing the type.
VISIT_TYPE_OF_MODALITY = {
    "iv_ketamine": "ketamine_infusion",
    "tes": "tes_session",
    "psychotherapy": "psychotherapy",
    "integration": "integration",
    "body_oriented": "body_oriented",
}
