"""The writes of a course of care: opening it on approval and closing it.

Opening a course opens its measurement window; completing or stopping it closes the window on
that day. Each status a course passes is a history row, written with its audit row in the same
transaction. Clinical checks that depend on the modality (the ketamine consent, eligibility,
the site's dose limits) belong to the app that treats with it; it calls `open_course` once
they pass.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.errors import Refused
from clinic.core.records import transition
from clinic.courses.models import Condition, Course, CourseStatusChange


class CourseRefused(Refused):
    """The course was not opened or closed; the message says why."""

    code = "course.refused"


@transaction.atomic
def open_course(
    patient,
    *,
    modality,
    indication,
    condition=Condition.UNSPECIFIED,
    planned_sessions=None,
    plan="",
    target_dose_mg_per_kg=None,
    infusion_minutes=None,
    ketamine_consent_confirmed=False,
    eligibility_reference="",
    eligibility_confirmed_by_physician=False,
    responsible_physician=None,
    actor,
) -> Course:
    """A physician approves a course: the plan is in force and its measurement window opens."""
    if not actor.has_role(Role.PHYSICIAN):
        raise CourseRefused(_("Only a physician can approve a course."))
    responsible = responsible_physician or actor
    if not responsible.has_role(Role.PHYSICIAN) or patient.home_site_id not in responsible.site_ids:
        raise CourseRefused(_("The responsible physician must be a physician of this site."))
    now = timezone.now()
    course = Course.objects.create(
        patient=patient,
        site=patient.home_site,
        condition=condition,
        modality=modality,
        indication=indication,
        planned_sessions=planned_sessions,
        plan=plan,
        target_dose_mg_per_kg=target_dose_mg_per_kg,
        infusion_minutes=infusion_minutes,
        ketamine_consent_confirmed=ketamine_consent_confirmed,
        eligibility_reference=eligibility_reference,
        eligibility_confirmed_by_physician=eligibility_confirmed_by_physician,
        approved_by=actor,
        approved_at=now,
        responsible_physician=responsible,
        opened_on=timezone.localdate(now),
    )
    CourseStatusChange.objects.create(course=course, status=course.status, at=now, by=actor)
    audit(actor, "course.approved", patient, obj=course, reason=modality)
    return course


@transaction.atomic
def close_course(course: Course, *, status, reason, actor, closed_on=None) -> Course:
    """Complete or stop a course; its measurement window ends that day."""
    if not actor.has_role(Role.PHYSICIAN):
        raise CourseRefused(_("Only a physician can close a course."))
    course = Course.objects.select_for_update(of=("self",), no_key=True).get(pk=course.pk)
    if not course.can_move_to(status):
        raise CourseRefused(_("This course is already closed."))
    closed_on = closed_on or timezone.localdate()
    if closed_on < course.opened_on:
        raise CourseRefused(_("A course cannot end before it opened."))
    if closed_on > timezone.localdate():
        raise CourseRefused(_("A course cannot be closed on a day still to come."))
    course.status_reason, course.closed_on = reason, closed_on
    return transition(
        course,
        status,
        actor=actor,
        reason=reason,
        audit_as="course.closed",
        also=("status_reason", "closed_on"),
    )
