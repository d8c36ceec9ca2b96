"""Measurement-based care: administered scales, self-report links, safety alerts, schedules.

The instruments themselves are code (`instruments/`); what lives here is each administration
(raw option positions, the scoring version and the total in its own column), the clinic's
configured thresholds, licensed texts the clinic uploads, and the alert workflow.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.assessments.instruments import INSTRUMENTS
from clinic.core.records import StatusMachine, StrikeOut, StrikeOutQuerySet
from clinic.courses.models import Condition

SCALE_CHOICES = [(code, i.short_name) for code, i in INSTRUMENTS.items()]
LANGUAGE_CHOICES = [("uk", "Українська"), ("en", "English")]


class ScaleSettings(models.Model):
    """The clinic's thresholds for one scale; the published defaults are seeded with sources.

    Numbers marked UNCONFIRMED in domain.md live here, not in code, so a clinician can sign
    them off or change them; `provenance` says where the current value comes from.
    """

    code = models.CharField(_("scale"), max_length=20, choices=SCALE_CHOICES, unique=True)
    remission_max = models.PositiveSmallIntegerField(
        _("remission: total at or below"), null=True, blank=True
    )
    # Response = a drop of at least 50 % from baseline (domain.md §1.5, [R12][R6]).
    response_pct = models.PositiveSmallIntegerField(_("response: drop of at least (%)"), default=50)
    screen_cutoff = models.PositiveSmallIntegerField(_("screening cut-off"), null=True, blank=True)
    alert_item_min = models.PositiveSmallIntegerField(
        _("safety item alerts from score"), null=True, blank=True
    )
    discharge_min = models.PositiveSmallIntegerField(
        _("fit for discharge from total"), null=True, blank=True
    )
    sedation_max = models.PositiveSmallIntegerField(_("sedated at or below"), null=True, blank=True)
    provenance = models.TextField(_("source of these values"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    THRESHOLD_FIELDS = ("screen_cutoff", "alert_item_min", "discharge_min", "sedation_max")

    class Meta:
        ordering = ["code"]
        verbose_name = _("scale settings")
        verbose_name_plural = _("scale settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(response_pct__gte=1, response_pct__lte=100), name="response_pct_range"
            )
        ]

    def __str__(self):
        return INSTRUMENTS[self.code].short_name

    @property
    def instrument(self):
        return INSTRUMENTS[self.code]

    def thresholds(self) -> dict:
        return {
            name: getattr(self, name)
            for name in self.THRESHOLD_FIELDS
            if getattr(self, name) is not None
        }


class MeasurementPolicy(models.Model):
    """Clinic-wide timing of links and alerts (one row)."""

    # How long a self-report link stays open. Engineering default, set by the clinic.
    link_valid_hours = models.PositiveSmallIntegerField(
        _("self-report links valid for (hours)"), default=72
    )
    # An alert nobody has acknowledged goes to the site's on-duty physician after this time.
    escalate_after_minutes = models.PositiveSmallIntegerField(
        _("escalate unacknowledged alerts after (minutes)"), default=30
    )
    provenance = models.TextField(_("source of these values"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("measurement policy")
        verbose_name_plural = _("measurement policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(link_valid_hours__gte=1, link_valid_hours__lte=720),
                name="link_valid_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(escalate_after_minutes__gte=1, escalate_after_minutes__lte=1440),
                name="escalate_after_minutes_range",
            ),
        ]

    def __str__(self):
        return "measurement policy"

    @classmethod
    def current(cls) -> "MeasurementPolicy":
        """The row if the clinic saved one, else the defaults (unsaved)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class LicensedText(models.Model):
    """Item wording of a copyrighted scale in one language, uploaded under the clinic's licence.

    `items` is [{"text": ..., "options": [...]}, ...], validated against the instrument when
    uploaded. The newest upload per scale and language is the one shown; older ones stay.
    """

    code = models.CharField(_("scale"), max_length=20, choices=SCALE_CHOICES)
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGE_CHOICES)
    instructions = models.TextField(_("instructions"), blank=True)
    items = models.JSONField()
    permission = models.CharField(_("permission or licence reference"), max_length=300)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "language", "-uploaded_at", "-pk"]
        verbose_name = _("licensed text")
        verbose_name_plural = _("licensed texts")

    def __str__(self):
        return f"{INSTRUMENTS[self.code].short_name} ({self.language})"


class Schedule(models.Model):
    """When a scale is due: before each visit of a type, or every N days of an open course."""

    class Kind(models.TextChoices):
        BEFORE_VISIT = "before_visit", _("before each visit of a type")
        EVERY_N_DAYS = "every_n_days", _("every N days during a course")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("scale"), max_length=20, choices=SCALE_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    visit_type_code = models.SlugField(_("visit type code"), max_length=50, blank=True)
    interval_days = models.PositiveSmallIntegerField(_("every (days)"), null=True, blank=True)
    # Blank: every patient; otherwise only patients whose course (or intake) has the condition.
    condition = models.CharField(
        _("only for condition"), max_length=20, choices=Condition.choices, blank=True
    )
    site = models.ForeignKey(
        "locations.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("site (blank: all sites)"),
    )
    reminder_after_hours = models.PositiveSmallIntegerField(_("remind after (hours)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code", "kind", "pk"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="before_visit") | ~Q(visit_type_code=""),
                name="before_visit_schedule_has_visit_type",
            ),
            models.CheckConstraint(
                condition=~Q(kind="every_n_days") | Q(interval_days__gte=1, interval_days__lte=366),
                name="interval_schedule_has_interval",
            ),
            models.CheckConstraint(
                condition=Q(reminder_after_hours__gte=1, reminder_after_hours__lte=336),
                name="reminder_after_hours_range",
            ),
        ]

    def __str__(self):
        return f"{INSTRUMENTS[self.code].short_name}: {self.get_kind_display()}"


class AssessmentQuerySet(StrikeOutQuerySet):
    def completed(self):
        return self.filter(status=Assessment.Status.COMPLETED)

    def of(self, patient):
        return self.filter(patient=patient)

    def not_reviewed(self):
        """Completed scores no physician has reviewed yet."""
        return self.filter(status=Assessment.Status.COMPLETED, reviewed_at__isnull=True)

    def at_sites(self, site_ids):
        return self.filter(site_id__in=site_ids)


class Assessment(StatusMachine, StrikeOut):
    """One administration of a scale: raw positions, scoring version and total (domain.md §2)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("waiting for answers")
        COMPLETED = "completed", _("completed")
        ENTERED_IN_ERROR = "entered_in_error", _("entered in error")

    class Mode(models.TextChoices):
        STAFF = "staff", _("entered by staff")
        SELF_REPORT = "self_report", _("self-report link")

    TRANSITIONS = {
        Status.IN_PROGRESS: {Status.COMPLETED, Status.ENTERED_IN_ERROR},
        Status.COMPLETED: {Status.ENTERED_IN_ERROR},
        Status.ENTERED_IN_ERROR: set(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("course"),
    )
    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    code = models.CharField(_("scale"), max_length=20, choices=SCALE_CHOICES)
    version = models.CharField(_("scoring version"), max_length=40)
    mode = models.CharField(_("how"), max_length=20, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # Option positions in item order, None where not (yet) answered; validated by the
    # instrument on every write.
    answers = models.JSONField(default=list)
    total = models.PositiveSmallIntegerField(_("total"), null=True, blank=True)
    band = models.CharField(_("band"), max_length=30, blank=True)
    # Whether any safety rule fired; the flags themselves are recomputed from the items.
    safety = models.BooleanField(_("safety item positive"), default=False)
    # The appointment this was given before (the scheduling app's id), when there is one.
    visit_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, db_index=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A physician has read the completed score (the "new scores" worklist); set once.
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "-created_at"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["code", "status", "completed_at"]),
            # The physician's worklists read a site's newest scores waiting for review, and
            # apart from them those with a positive safety item (assessments/worklists.py).
            models.Index(
                fields=["site", "-completed_at"],
                condition=Q(status="completed", reviewed_at__isnull=True),
                name="assessment_to_review_idx",
            ),
            models.Index(
                fields=["site", "-completed_at"],
                condition=Q(status="completed", reviewed_at__isnull=True, safety=True),
                name="assessment_unsafe_review_idx",
            ),
        ]
        constraints = [
            # The widest scale (BPRS) totals 126.
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__lte=126), name="assessment_total_range"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False),
                name="completed_assessment_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="entered_in_error")
                | (Q(entered_in_error=True) & ~Q(strike_out_reason="")),
                name="entered_in_error_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="assessment_review_names_reviewer",
            ),
        ]

    def __str__(self):
        return f"{self.instrument.short_name} {self.completed_at or self.created_at:%d.%m.%Y}"

    @property
    def instrument(self):
        return INSTRUMENTS[self.code]

    @property
    def band_label(self):
        return self.instrument.band_label(self.band) if self.band else ""


class SelfReportLink(models.Model):
    """A signed, single-use, expiring link for the patient to answer one scale without login.

    Only the SHA-256 of the token is stored; a reminder issues a fresh token (the old link
    stops working) because the original cannot be recovered.
    """

    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="link")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES)
    expires_at = models.DateTimeField(_("expires"))
    # The schedule's due date the link answers; one link per schedule, patient and due date.
    due_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    due_by = models.DateTimeField(_("due by"), null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("self-report link")
        verbose_name_plural = _("self-report links")

    def __str__(self):
        return f"link {self.pk}"

    def is_open(self, now=None) -> bool:
        return self.submitted_at is None and (now or timezone.now()) < self.expires_at

    def is_missed(self, now=None) -> bool:
        return self.submitted_at is None and (now or timezone.now()) >= self.expires_at


class SafetyAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=SafetyAlert.Status.OPEN)

    def at_sites(self, site_ids):
        return self.filter(site_id__in=site_ids)


class SafetyAlert(models.Model):
    """A safety answer that must reach a clinician now, and what was done about it."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a clinician")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="alert")
    # The safety flags that fired, comma-separated codes (instruments.SAFETY_FLAGS).
    flags = models.CharField(max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.TextField(_("action taken"), blank=True)

    objects = SafetyAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("safety alert")
        verbose_name_plural = _("safety alerts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="acknowledged")
                | (Q(acknowledged_at__isnull=False) & ~Q(action_taken="")),
                name="acknowledged_alert_has_action",
            )
        ]

    def __str__(self):
        return f"alert {self.public_id}"

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]


class AlertEvent(models.Model):
    """History of an alert: raised, who was told, escalation, acknowledgement."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        NOTIFIED = "notified", _("clinician notified")
        ESCALATED = "escalated", _("escalated to the on-duty physician")
        NO_ONE_ON_DUTY = "no_one_on_duty", _("no on-duty physician to escalate to")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")

    alert = models.ForeignKey(SafetyAlert, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"


class OnDutyQuerySet(models.QuerySet):
    def covering(self, site, day):
        return self.filter(site=site, starts_on__lte=day, ends_on__gte=day)


class OnDutyPhysician(models.Model):
    """Who takes escalated alerts at a site over a date range (set by administrators)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("physician"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = OnDutyQuerySet.as_manager()

    class Meta:
        ordering = ["site", "starts_on", "pk"]
        verbose_name = _("on-duty physician")
        verbose_name_plural = _("on-duty physicians")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="on_duty_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.physician} {self.starts_on}–{self.ends_on}"
