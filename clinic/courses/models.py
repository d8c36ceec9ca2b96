"""The course of care: the plan a physician approves, and everything else points at.

Sessions (infusions, TES), session notes, booked series and rating-scale scores belong to a
course. Approving a course opens its measurement window (`opened_on`); completing or stopping
it closes the window (`closed_on`). Outcomes (baseline, response, remission, infusions,
weeks) are computed per course. What a patient was treated with before the clinic is
`patients.PriorTreatment`, not a course.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.core.records import StatusHistory, StatusMachine

# The top of the reported antidepressant range, "some need up to 0.75 mg/kg" (domain.md §3.3,
# [R42]); sub-anaesthetic dosing is the ASKP3 standard [R52]. A site may set less, not more.
DOSE_CEILING_MG_PER_KG = Decimal("0.75")


class Modality(models.TextChoices):
    IV_KETAMINE = "iv_ketamine", _("IV ketamine")
    TES = "tes", _("Transcranial electrical stimulation")
    PSYCHOTHERAPY = "psychotherapy", _("Psychotherapy")
    INTEGRATION = "integration", _("Integration")
    BODY_ORIENTED = "body_oriented", _("Body-oriented therapy")
    NEURO_REHABILITATION = "neuro_rehabilitation", _("Neuro-rehabilitation")
    # Follow-up with rating scales only (and measurement windows opened before courses
    # were one record).
    MONITORING = "monitoring", _("Assessment and follow-up")


class Condition(models.TextChoices):
    """What a course treats, for outcome breakdowns and schedule filters."""

    UNSPECIFIED = "unspecified", _("unspecified")
    TRD = "trd", _("Treatment-resistant depression")
    DEPRESSION = "depression", _("Depression")
    PERINATAL = "perinatal", _("Perinatal (postpartum) depression")
    PTSD = "ptsd", _("Post-traumatic stress")
    ANXIETY = "anxiety", _("Anxiety")
    OTHER = "other", _("Other")


class CourseQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_clinical:
            return self.none()
        return self.filter(site_id__in=user.site_ids)

    def active(self):
        return self.filter(status=Course.Status.ACTIVE)

    def open_on(self, day):
        """Courses whose measurement window includes a local calendar day."""
        return self.filter(opened_on__lte=day).filter(
            Q(closed_on__isnull=True) | Q(closed_on__gte=day)
        )


class Course(StatusMachine, models.Model):
    """A course of care for one patient and indication, approved by a physician."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        COMPLETED = "completed", _("completed")
        STOPPED = "stopped", _("stopped")

    # The course's state machine: an active course is completed or stopped; a closed course
    # stays closed (a new plan is a new course).
    STATUS_HISTORY = "history"
    TRANSITIONS = {
        Status.ACTIVE: {Status.COMPLETED, Status.STOPPED},
        Status.COMPLETED: set(),
        Status.STOPPED: set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(
        _("condition"), max_length=20, choices=Condition.choices, default=Condition.UNSPECIFIED
    )
    indication = models.CharField(_("indication"), max_length=200)
    modality = models.CharField(_("modality"), max_length=30, choices=Modality.choices)
    # Blank for a follow-up course without planned sessions.
    planned_sessions = models.PositiveSmallIntegerField(
        _("planned sessions"), null=True, blank=True
    )
    plan = models.TextField(
        _("plan"),
        blank=True,
        help_text=_("For example: induction of 6 infusions over 2-3 weeks, then maintenance."),
    )
    target_dose_mg_per_kg = models.DecimalField(
        _("target dose (mg/kg)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    infusion_minutes = models.PositiveSmallIntegerField(
        _("infusion time (minutes)"), null=True, blank=True
    )
    ketamine_consent_confirmed = models.BooleanField(_("ketamine consent signed"), default=False)
    # What the plan rests on: the eligibility decision on file, or (while none exists) the
    # physician's explicit confirmation that the patient is eligible.
    eligibility_reference = models.CharField(max_length=100, blank=True)
    eligibility_confirmed_by_physician = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now)
    responsible_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("responsible physician"),
    )
    # The measurement window: scores inside it are the course's; the first is its baseline.
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=500, blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-approved_at", "-pk"]
        verbose_name = _("course of care")
        verbose_name_plural = _("courses of care")
        indexes = [models.Index(fields=["patient", "opened_on"], name="course_patient_opened")]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_sessions__isnull=True)
                | Q(planned_sessions__gte=1, planned_sessions__lte=100),
                name="course_planned_sessions_range",
            ),
            models.CheckConstraint(
                condition=~Q(modality="iv_ketamine")
                | Q(
                    planned_sessions__isnull=False,
                    target_dose_mg_per_kg__gt=0,
                    target_dose_mg_per_kg__lte=DOSE_CEILING_MG_PER_KG,
                    infusion_minutes__gte=2,
                    infusion_minutes__lte=100,
                    ketamine_consent_confirmed=True,
                ),
                name="ketamine_course_has_dose_rule_and_consent",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="course_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=Q(status="active", closed_on__isnull=True)
                | (~Q(status="active") & Q(closed_on__isnull=False)),
                name="course_closed_on_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.get_modality_display()}: {self.indication}"

    @property
    def is_ketamine(self) -> bool:
        return self.modality == Modality.IV_KETAMINE

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class CourseStatusChange(StatusHistory):
    """History of a course: every status it passed, when, by whom and why."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="history")
    status = models.CharField(max_length=10, choices=Course.Status.choices)

    def __str__(self):
        return f"{self.get_status_display()} {self.at:%d.%m.%Y}"
