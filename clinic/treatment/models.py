"""Treatment courses and their sessions: ketamine infusions, TES, psychotherapy and the like.

Clinical numbers (thresholds, intervals, dose limits) are per-site data in `TreatmentSettings`,
each with its source in `clinic.treatment.rules.PROVENANCE`; the hard ceilings of domain.md §4
are database constraints that no setting can exceed.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.core.records import (
    SignedNote,
    StatusHistory,
    StatusMachine,
    StrikeOut,
    StrikeOutQuerySet,
)
from clinic.courses.models import DOSE_CEILING_MG_PER_KG
from clinic.treatment import delivery

# Hard ceilings that no site setting may exceed (domain.md §4: no serious adverse effect
# across >33,200 sessions with <=40 min, <=4 mA, <=7.2 C [R70]).
TES_CEILING_MA = Decimal("4.0")
TES_CEILING_MINUTES = 40
TES_CEILING_CHARGE_C = Decimal("7.2")


class DischargeScale(models.TextChoices):
    ALDRETE = "aldrete", _("Modified Aldrete")
    PADSS = "padss", _("PADSS")


class TreatmentSettings(models.Model):
    """One site's clinical thresholds and intervals, edited by administrators.

    Defaults and sources: `clinic.treatment.rules.PROVENANCE`. Values marked UNCONFIRMED there
    await the medical director's confirmation.
    """

    site = models.OneToOneField(
        "locations.Site", on_delete=models.PROTECT, related_name="treatment_settings"
    )
    weight_max_age_days = models.PositiveSmallIntegerField(
        _("weight no older than (days)"), default=30
    )
    fasting_required = models.BooleanField(_("fasting required"), default=True)
    fasting_hours = models.PositiveSmallIntegerField(_("fasting (hours)"), default=4)
    bp_warn_systolic = models.PositiveSmallIntegerField(
        _("pre-dose systolic needing a physician's decision above"), default=140
    )
    bp_warn_diastolic = models.PositiveSmallIntegerField(
        _("pre-dose diastolic needing a physician's decision above"), default=90
    )
    bp_block_systolic = models.PositiveSmallIntegerField(
        _("pre-dose systolic blocking the infusion above"), default=180
    )
    bp_block_diastolic = models.PositiveSmallIntegerField(
        _("pre-dose diastolic blocking the infusion above"), default=100
    )
    default_dose_mg_per_kg = models.DecimalField(
        _("default dose (mg/kg)"), max_digits=4, decimal_places=2, default=Decimal("0.50")
    )
    max_dose_mg_per_kg = models.DecimalField(
        _("maximum dose (mg/kg)"), max_digits=4, decimal_places=2, default=Decimal("0.75")
    )
    max_dose_mg = models.DecimalField(
        _("maximum dose per session (mg)"), max_digits=5, decimal_places=1, default=Decimal("100")
    )
    default_infusion_minutes = models.PositiveSmallIntegerField(
        _("default infusion time (minutes)"), default=40
    )
    max_rate_mg_per_kg_per_min = models.DecimalField(
        _("maximum infusion rate (mg/kg/min)"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0190"),
    )
    vitals_every_minutes_infusing = models.PositiveSmallIntegerField(
        _("vital signs every (minutes) while infusing"), default=10
    )
    vitals_every_minutes_after = models.PositiveSmallIntegerField(
        _("vital signs every (minutes) after the infusion"), default=15
    )
    alert_systolic_above = models.PositiveSmallIntegerField(_("alert: systolic above"), default=180)
    alert_diastolic_above = models.PositiveSmallIntegerField(
        _("alert: diastolic above"), default=110
    )
    alert_systolic_below = models.PositiveSmallIntegerField(_("alert: systolic below"), default=90)
    alert_heart_rate_above = models.PositiveSmallIntegerField(
        _("alert: heart rate above"), default=120
    )
    alert_heart_rate_below = models.PositiveSmallIntegerField(
        _("alert: heart rate below"), default=50
    )
    alert_spo2_below = models.PositiveSmallIntegerField(_("alert: SpO2 below (%)"), default=92)
    alert_resp_rate_below = models.PositiveSmallIntegerField(
        _("alert: respiratory rate below"), default=8
    )
    alert_resp_rate_above = models.PositiveSmallIntegerField(
        _("alert: respiratory rate above"), default=24
    )
    cadss_at_minutes = models.PositiveSmallIntegerField(
        _("CADSS and MOAA/S at (minutes after the start)"), default=40
    )
    min_observation_minutes = models.PositiveSmallIntegerField(
        _("minimum time from the start to discharge (minutes)"), default=120
    )
    discharge_scale = models.CharField(
        _("discharge score"),
        max_length=10,
        choices=DischargeScale.choices,
        default=DischargeScale.ALDRETE,
    )
    discharge_threshold = models.PositiveSmallIntegerField(_("discharge score at least"), default=9)
    tes_max_current_ma = models.DecimalField(
        _("TES: maximum current (mA)"), max_digits=3, decimal_places=1, default=Decimal("2.0")
    )
    tes_max_minutes = models.PositiveSmallIntegerField(
        _("TES: maximum duration (minutes)"), default=40
    )
    tes_max_charge_c = models.DecimalField(
        _("TES: maximum charge (C)"), max_digits=3, decimal_places=1, default=Decimal("7.2")
    )
    integration_offer_hours = models.PositiveSmallIntegerField(
        _("offer integration within (hours after an infusion)"), default=72
    )
    alert_escalate_after_minutes = models.PositiveSmallIntegerField(
        _("escalate an unacknowledged chair alert after (minutes)"), default=5
    )
    pump_late_entry_minutes = models.PositiveSmallIntegerField(
        _("record a pump event late within (minutes)"), default=120
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("treatment settings")
        verbose_name_plural = _("treatment settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(tes_max_current_ma__gt=0, tes_max_current_ma__lte=TES_CEILING_MA),
                name="tes_current_within_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(tes_max_minutes__gt=0, tes_max_minutes__lte=TES_CEILING_MINUTES),
                name="tes_minutes_within_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(tes_max_charge_c__gt=0, tes_max_charge_c__lte=TES_CEILING_CHARGE_C),
                name="tes_charge_within_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_dose_mg_per_kg__gt=0, max_dose_mg_per_kg__lte=DOSE_CEILING_MG_PER_KG
                )
                & Q(
                    default_dose_mg_per_kg__gt=0,
                    default_dose_mg_per_kg__lte=F("max_dose_mg_per_kg"),
                ),
                name="dose_within_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(max_rate_mg_per_kg_per_min__gt=0), name="max_infusion_rate_positive"
            ),
            models.CheckConstraint(
                condition=Q(bp_warn_systolic__lte=F("bp_block_systolic"))
                & Q(bp_warn_diastolic__lte=F("bp_block_diastolic")),
                name="bp_warning_below_block",
            ),
            models.CheckConstraint(
                condition=Q(
                    vitals_every_minutes_infusing__gte=1, vitals_every_minutes_after__gte=1
                ),
                name="vitals_interval_positive",
            ),
        ]

    def __str__(self):
        return str(self.site)


class InteractionRule(models.Model):
    """A drug or drug class that matters at check-in, with its effect and source (domain.md §7)."""

    class Severity(models.TextChoices):
        CAUTION = "caution", _("caution")
        WARNING = "warning", _("warning")

    code = models.SlugField(unique=True)
    name_uk = models.CharField(max_length=150)
    name_en = models.CharField(max_length=150)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message_uk = models.CharField(max_length=400)
    message_en = models.CharField(max_length=400)
    source = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation_is_english() else self.name_uk

    @property
    def message(self) -> str:
        return self.message_en if translation_is_english() else self.message_uk


def translation_is_english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "uk").startswith("en")


class InfusionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_clinical:
            return self.none()
        return self.filter(site_id__in=user.site_ids)

    def on_chairs(self):
        """Sessions that occupy a chair now (the board's rows)."""
        return self.exclude(status__in=InfusionSession.CLOSED)

    def counted(self):
        """Sessions that count towards a course's progress."""
        return self.filter(status=InfusionSession.Status.DISCHARGED)


class InfusionSession(StatusMachine, models.Model):
    """One ketamine infusion, from check-in to discharge; its status history is kept in rows."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        CHECKED_IN = "checked_in", _("checked in")
        PRECHECKED = "prechecked", _("pre-check done")
        INFUSING = "infusing", _("infusing")
        INTERRUPTED = "interrupted", _("interrupted")
        MONITORING = "monitoring", _("monitoring")
        READY = "ready", _("ready for discharge")
        DISCHARGED = "discharged", _("discharged")
        STOPPED = "stopped", _("stopped")
        ABORTED = "aborted", _("aborted")

    # Allowed moves; services check them. "Stopped" ends a session after the drug was given,
    # "aborted" one that never started. An interruption returns to where it came from.
    TRANSITIONS = {
        Status.SCHEDULED: {Status.CHECKED_IN, Status.ABORTED},
        Status.CHECKED_IN: {Status.PRECHECKED, Status.ABORTED},
        Status.PRECHECKED: {Status.INFUSING, Status.ABORTED},
        Status.INFUSING: {Status.MONITORING, Status.INTERRUPTED, Status.STOPPED},
        Status.INTERRUPTED: {Status.INFUSING, Status.MONITORING, Status.STOPPED},
        Status.MONITORING: {Status.READY, Status.INTERRUPTED, Status.DISCHARGED, Status.STOPPED},
        Status.READY: {Status.MONITORING, Status.INTERRUPTED, Status.DISCHARGED, Status.STOPPED},
        Status.DISCHARGED: set(),
        Status.STOPPED: {Status.DISCHARGED},
        Status.ABORTED: set(),
    }
    STATUS_HISTORY = "history"
    CLOSED = (Status.DISCHARGED, Status.ABORTED)
    # Phases in which vital signs are taken on a schedule.
    MONITORED = (
        Status.INFUSING,
        Status.INTERRUPTED,
        Status.MONITORING,
        Status.READY,
        Status.STOPPED,
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey("courses.Course", on_delete=models.PROTECT, related_name="infusions")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(
        "locations.Room", on_delete=models.PROTECT, related_name="+", verbose_name=_("chair")
    )
    # The scheduled visit this session fulfils; one session per appointment (a retry after an
    # aborted session is a new visit, so the aborted one keeps its link).
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="infusion_session",
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    # What the patient received: computed from the pump's events (`delivery.amount_given`), to
    # the register's 0.001 mg, so the register's administration is this amount exactly.
    administered_mg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)

    objects = InfusionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("infusion session")
        verbose_name_plural = _("infusion sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(infusion_ended_at__isnull=True)
                | Q(infusion_ended_at__gte=F("infusion_started_at")),
                name="infusion_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(administered_mg__isnull=True) | Q(administered_mg__gte=0),
                name="administered_mg_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.patient.initials} {self.created_at:%d.%m.%Y}"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED


class InfusionStatusChange(StatusHistory):
    """History of a session: every status it passed, when and by whom, and why."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="history")
    status = models.CharField(max_length=15, choices=InfusionSession.Status.choices)

    class Meta(StatusHistory.Meta):
        pass

    def __str__(self):
        return f"{self.get_status_display()} {self.at:%H:%M}"


def vitals_constraints(prefix: str) -> list:
    """Physiological validity ranges (style.md; security.md B7: SBP must exceed DBP)."""
    return [
        models.CheckConstraint(
            condition=Q(systolic__gte=50, systolic__lte=300), name=f"{prefix}_systolic_range"
        ),
        models.CheckConstraint(
            condition=Q(diastolic__gte=20, diastolic__lte=200), name=f"{prefix}_diastolic_range"
        ),
        models.CheckConstraint(
            condition=Q(systolic__gt=F("diastolic")), name=f"{prefix}_systolic_above_diastolic"
        ),
        models.CheckConstraint(
            condition=Q(heart_rate__gte=20, heart_rate__lte=250), name=f"{prefix}_heart_rate_range"
        ),
        models.CheckConstraint(
            condition=Q(spo2__gte=50, spo2__lte=100), name=f"{prefix}_spo2_range"
        ),
        models.CheckConstraint(
            condition=Q(resp_rate__isnull=True) | Q(resp_rate__gte=4, resp_rate__lte=60),
            name=f"{prefix}_resp_rate_range",
        ),
    ]


class PreCheck(models.Model):
    """The checks before the dose: weight, vital signs, fasting, escort, pregnancy, drugs."""

    class Pregnancy(models.TextChoices):
        NOT_APPLICABLE = "not_applicable", _("not applicable")
        TEST_NEGATIVE = "test_negative", _("pregnancy test negative")
        NOT_PREGNANT_REPORTED = "reported_not", _("not pregnant (reported)")
        PREGNANT = "pregnant", _("pregnant")
        UNKNOWN = "unknown", _("unknown")

    class Breastfeeding(models.TextChoices):
        NO = "no", _("not breastfeeding")
        YES = "yes", _("breastfeeding")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    class Decision(models.TextChoices):
        NOT_NEEDED = "", _("not needed")
        PENDING = "pending", _("awaiting a physician's decision")
        PROCEED = "proceed", _("physician decided to proceed")
        DEFER = "defer", _("physician deferred the infusion")

    session = models.OneToOneField(
        InfusionSession, on_delete=models.PROTECT, related_name="precheck"
    )
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1)
    weight_measured_on = models.DateField(_("weight measured on"))
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"))
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"))
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"))
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"))
    resp_rate = models.PositiveSmallIntegerField(_("respiratory rate (/min)"), null=True)
    fasting_hours = models.PositiveSmallIntegerField(_("hours since last meal"), null=True)
    escort_name = models.CharField(_("escort's name"), max_length=150)
    escort_phone = models.CharField(_("escort's phone"), max_length=30)
    escort_relation = models.CharField(_("escort's relation"), max_length=100, blank=True)
    pregnancy = models.CharField(_("pregnancy"), max_length=20, choices=Pregnancy.choices)
    breastfeeding = models.CharField(
        _("breastfeeding"), max_length=20, choices=Breastfeeding.choices
    )
    advice_given = models.TextField(_("advice given"), blank=True)
    drugs = models.ManyToManyField(InteractionRule, blank=True, related_name="+")
    allergies = models.CharField(_("allergies"), max_length=500, blank=True)
    # What the nurse entered against the patient's chart (pregnancy, breastfeeding, allergies,
    # medicines), and the note with which she confirmed it; empty when nothing differed.
    chart_differences = models.TextField(_("differences from the chart"), blank=True)
    chart_confirmation_note = models.CharField(
        _("confirmation of the differences"), max_length=500, blank=True
    )
    bp_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    bp_decision_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    bp_decision_note = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            *vitals_constraints("precheck"),
            models.CheckConstraint(
                condition=Q(weight_kg__gte=30, weight_kg__lte=250), name="precheck_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(fasting_hours__isnull=True) | Q(fasting_hours__lte=72),
                name="precheck_fasting_range",
            ),
            # A difference from the chart is kept only with its confirmation.
            models.CheckConstraint(
                condition=Q(chart_differences="") | ~Q(chart_confirmation_note=""),
                name="precheck_chart_difference_confirmed",
            ),
        ]

    def __str__(self):
        return f"{self.systolic}/{self.diastolic}, {self.weight_kg} kg"

    @property
    def cleared(self) -> bool:
        return self.bp_decision in (self.Decision.NOT_NEEDED, self.Decision.PROCEED)


class DoseOrder(models.Model):
    """A physician's signed prescription: mg/kg x the weight on the day, over so many minutes.

    How it is made up (strength, volumes, pump rate) is its `DosePreparation`, recorded by
    the nurse. Orders signed before preparations existed carry the concentration, volume and
    rate the physician entered; newer ones leave those empty. A change during the infusion is
    a new order naming the one it replaces and why, and needs a new preparation.
    """

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="doses")
    mg_per_kg = models.DecimalField(_("dose (mg/kg)"), max_digits=4, decimal_places=2)
    weight_kg = models.DecimalField(max_digits=4, decimal_places=1)
    dose_mg = models.DecimalField(max_digits=5, decimal_places=1)
    # Entered by the physician on orders signed before dose preparations; empty since.
    concentration_mg_per_ml = models.DecimalField(
        _("concentration (mg/ml)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    volume_ml = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("infusion time (minutes)"))
    rate_ml_per_h = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    reason = models.CharField(_("reason for the change"), max_length=500, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mg_per_kg__gt=0, mg_per_kg__lte=DOSE_CEILING_MG_PER_KG),
                name="dose_order_mg_per_kg_range",
            ),
            models.CheckConstraint(
                condition=Q(concentration_mg_per_ml__isnull=True)
                | Q(concentration_mg_per_ml__gt=0),
                name="dose_order_concentration_positive_if_given",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=2, minutes__lte=100), name="dose_order_minutes_range"
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""),
                name="dose_change_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.dose_mg} mg"


class PreparationMethod(models.TextChoices):
    """How a dose is made up (values as in `clinic.treatment.preparation`)."""

    UNDILUTED_SYRINGE = "undiluted_syringe", _("undiluted, in a syringe on a pump")
    DILUTED_SYRINGE = "diluted_syringe", _("diluted in a syringe")
    DILUTED_BAG = "diluted_bag", _("diluted in an infusion bag")


class DosePreparation(models.Model):
    """How a signed dose was made up: the register lot and its strength, the method, the
    volumes and pump rate computed by `preparation.prepare`, who prepared it, and the
    independent double check by a second person (ISMP high-alert medicine) that the
    infusion waits for. One per dose order; a changed dose needs a new preparation.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dose = models.OneToOneField(DoseOrder, on_delete=models.PROTECT, related_name="preparation")
    holding = models.ForeignKey(
        "controlled_drugs.Holding",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lot"),
    )
    strength_mg_per_ml = models.DecimalField(_("strength (mg/ml)"), max_digits=8, decimal_places=3)
    method = models.CharField(_("method"), max_length=20, choices=PreparationMethod.choices)
    final_volume_ml = models.DecimalField(
        _("final volume (ml)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    draw_step_ml = models.DecimalField(max_digits=4, decimal_places=2)
    drug_volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    dose_given_mg = models.DecimalField(max_digits=10, decimal_places=5)
    total_volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    final_concentration_mg_per_ml = models.DecimalField(max_digits=9, decimal_places=4)
    rate_ml_per_h = models.DecimalField(max_digits=6, decimal_places=1)
    mg_per_kg_per_min = models.DecimalField(max_digits=7, decimal_places=5)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True) | ~Q(checked_by=F("prepared_by")),
                name="preparation_checked_by_a_second_person",
            ),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True, checked_at__isnull=True)
                | Q(checked_by__isnull=False, checked_at__isnull=False),
                name="preparation_check_has_time_and_person",
            ),
            models.CheckConstraint(
                condition=Q(
                    method=PreparationMethod.UNDILUTED_SYRINGE, final_volume_ml__isnull=True
                )
                | (
                    ~Q(method=PreparationMethod.UNDILUTED_SYRINGE)
                    & Q(final_volume_ml__gt=F("drug_volume_ml"))
                ),
                name="preparation_volume_fits_method",
            ),
            models.CheckConstraint(
                condition=Q(
                    strength_mg_per_ml__gt=0,
                    drug_volume_ml__gt=0,
                    rate_ml_per_h__gt=0,
                    total_volume_ml__gte=F("drug_volume_ml"),
                ),
                name="preparation_values_positive",
            ),
        ]

    def __str__(self):
        return f"{self.drug_volume_ml} ml / {self.total_volume_ml} ml"

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    @property
    def step_mg(self) -> Decimal:
        """The syringe's measuring step in mg: how far rounding the drawn volume moves a dose."""
        return self.draw_step_ml * self.strength_mg_per_ml

    def syringe(self) -> delivery.Syringe:
        """This preparation as the pump's amount computation sees it."""
        return delivery.Syringe(
            key=self.pk,
            # Exact: the dose drawn over the volume it is in, not the rounded figure shown.
            concentration_mg_per_ml=self.dose_given_mg / self.total_volume_ml,
            prepared_mg=self.dose_given_mg,
            step_mg=self.step_mg,
            total_volume_ml=self.total_volume_ml,
        )


class PumpEvent(models.Model):
    """One thing the pump did, with its time: started, rate changed, paused (and why),
    resumed, infusion complete, stopped early. Appended, never changed; the amount given is
    computed from them (`clinic.treatment.delivery`). The rate comes from the preparation at
    the start and at a resume with a new syringe; a rate change records the new setting."""

    APPEND_ONLY = True

    class Kind(models.TextChoices):
        START = "start", _("started")
        RATE = "rate", _("rate changed")
        PAUSE = "pause", _("paused")
        RESUME = "resume", _("resumed")
        END = "end", _("infusion complete")
        STOP = "stop", _("stopped early")

    class Cause(models.TextChoices):
        NONE = "", _("—")
        AIR_RAID = "air_raid", _("air-raid alert")
        POWER_CUT = "power_cut", _("power cut")
        SIDE_EFFECT = "side_effect", _("side effect")
        OTHER = "other", _("other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        InfusionSession, on_delete=models.PROTECT, related_name="pump_events"
    )
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    # The rate the pump runs at from this event on (start, rate change, resume).
    rate_ml_per_h = models.DecimalField(
        _("rate (ml/h)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    # The syringe or bag on the pump from this event on (start, resume).
    preparation = models.ForeignKey(
        "DosePreparation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cause = models.CharField(_("cause"), max_length=15, choices=Cause.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["start", "rate", "pause", "resume", "end", "stop"]),
                name="pump_event_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(rate_ml_per_h__isnull=True) | Q(rate_ml_per_h__gt=0),
                name="pump_event_rate_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["start", "rate"]) | Q(rate_ml_per_h__isnull=False),
                name="pump_event_rate_given",
            ),
            models.CheckConstraint(
                condition=~Q(kind="start") | Q(preparation__isnull=False),
                name="pump_event_start_names_preparation",
            ),
            models.CheckConstraint(
                condition=(Q(kind="pause") & ~Q(cause="")) | (~Q(kind="pause") & Q(cause="")),
                name="pump_event_pause_has_cause",
            ),
            models.CheckConstraint(
                condition=~Q(cause="other") | ~Q(note=""), name="pump_event_other_cause_noted"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%H:%M}"


class VitalSigns(StrikeOut):
    """One timed set of vital signs. `idempotency_key` makes a resent reading count once."""

    class Phase(models.TextChoices):
        INFUSING = "infusing", _("during the infusion")
        AFTER = "after", _("after the infusion")

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="vitals")
    measured_at = models.DateTimeField(_("measured at"))
    phase = models.CharField(max_length=10, choices=Phase.choices)
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"))
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"))
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (/min)"))
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"))
    resp_rate = models.PositiveSmallIntegerField(_("respiratory rate (/min)"), null=True)
    idempotency_key = models.UUIDField(unique=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = StrikeOutQuerySet.as_manager()

    class Meta:
        ordering = ["measured_at", "pk"]
        constraints = vitals_constraints("vitals")
        indexes = [models.Index(fields=["session", "measured_at"])]

    def __str__(self):
        return f"{self.measured_at:%H:%M} {self.systolic}/{self.diastolic}"

    @property
    def patient(self):
        return self.session.patient


class AlertAction(models.TextChoices):
    CONTINUE = "continue", _("continue")
    SLOW = "slow", _("slow the infusion")
    PAUSE = "pause", _("pause the infusion")
    STOP = "stop", _("stop the infusion")
    TREAT = "treat", _("treat")
    STIMULATE = "stimulate", _("stimulate the patient")
    OXYGEN = "oxygen", _("give oxygen")
    AIRWAY = "airway", _("open the airway (jaw thrust, position)")
    CALL = "call", _("call the physician")
    REASSURE = "reassure", _("reassure, quiet room")
    RECHECK = "recheck", _("re-measure in 5 minutes")
    MEASURE = "measure", _("measure the vital signs now")


class VitalAlert(models.Model):
    """An out-of-range value; open until a clinician records an action code and a note."""

    class Kind(models.TextChoices):
        SYSTOLIC_HIGH = "systolic_high", _("systolic pressure high")
        DIASTOLIC_HIGH = "diastolic_high", _("diastolic pressure high")
        SYSTOLIC_LOW = "systolic_low", _("systolic pressure low")
        HEART_RATE_HIGH = "heart_rate_high", _("heart rate high")
        HEART_RATE_LOW = "heart_rate_low", _("heart rate low")
        SPO2_LOW = "spo2_low", _("oxygen saturation low")
        RESP_RATE_LOW = "resp_rate_low", _("respiratory rate low")
        RESP_RATE_HIGH = "resp_rate_high", _("respiratory rate high")
        # Raised by the sweep: `value` is the minutes since the reading fell due, `limit`
        # the interval; there is no reading to point at.
        VITALS_OVERDUE = "vitals_overdue", _("vital signs overdue")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="alerts")
    vitals = models.ForeignKey(
        VitalSigns, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.PositiveSmallIntegerField()
    limit = models.PositiveSmallIntegerField()
    raised_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=AlertAction.choices, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # A physician has seen it (separate from closing it with an action).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The last escalation; every one is also an `AlertNotice` row.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | (~Q(action="") & ~Q(note="")),
                name="closed_alert_has_action_and_note",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def actions(self) -> list[tuple[str, str]]:
        """The actions offered for this kind of alert, most urgent first (ALERT_ACTIONS)."""
        return [(code, AlertAction(code).label) for code in ALERT_ACTIONS[self.kind]]


# What a nurse may record when closing each kind of alert, in the order offered: the
# first steps of the usual sedation-safety response (stimulate, airway, oxygen before
# anything else for desaturation or slow breathing; slow/stop the pump for pressure and
# heart rate), then calling the physician; "continue" is last, never the default.
_A = AlertAction
ALERT_ACTIONS = {
    VitalAlert.Kind.SPO2_LOW: [
        _A.STIMULATE,
        _A.AIRWAY,
        _A.OXYGEN,
        _A.SLOW,
        _A.STOP,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.RESP_RATE_LOW: [
        _A.STIMULATE,
        _A.AIRWAY,
        _A.OXYGEN,
        _A.SLOW,
        _A.STOP,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.RESP_RATE_HIGH: [_A.REASSURE, _A.RECHECK, _A.SLOW, _A.CALL, _A.CONTINUE],
    VitalAlert.Kind.SYSTOLIC_HIGH: [
        _A.RECHECK,
        _A.SLOW,
        _A.PAUSE,
        _A.STOP,
        _A.TREAT,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.DIASTOLIC_HIGH: [
        _A.RECHECK,
        _A.SLOW,
        _A.PAUSE,
        _A.STOP,
        _A.TREAT,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.SYSTOLIC_LOW: [_A.RECHECK, _A.PAUSE, _A.STOP, _A.TREAT, _A.CALL, _A.CONTINUE],
    VitalAlert.Kind.HEART_RATE_HIGH: [
        _A.REASSURE,
        _A.RECHECK,
        _A.SLOW,
        _A.PAUSE,
        _A.STOP,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.HEART_RATE_LOW: [
        _A.STIMULATE,
        _A.RECHECK,
        _A.PAUSE,
        _A.STOP,
        _A.CALL,
        _A.CONTINUE,
    ],
    VitalAlert.Kind.VITALS_OVERDUE: [_A.MEASURE, _A.CALL, _A.CONTINUE],
}


class NoticeQuerySet(models.QuerySet):
    def open_for(self, user):
        """Notices of alerts still open, addressed to the user (the banner and the badge)."""
        return self.filter(recipient=user, alert__closed_at__isnull=True)


class AlertNotice(models.Model):
    """One clinician told about one chair alert: at raising, or on escalation."""

    class Reason(models.TextChoices):
        RESPONSIBLE = "responsible", _("responsible physician")
        ON_DUTY = "on_duty", _("on-duty physician")
        ESCALATION = "escalation", _("escalation")

    alert = models.ForeignKey(VitalAlert, on_delete=models.PROTECT, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "recipient"], name="one_notice_per_recipient")
        ]

    def __str__(self):
        return f"{self.alert} -> {self.recipient}"


class ScalePoint(models.TextChoices):
    PRE_DOSE = "pre_dose", _("before the dose")
    DURING = "during", _("during the session")
    DISCHARGE = "discharge", _("before discharge")


class SessionScore(models.Model):
    """A rating taken during a session (CADSS, MOAA/S, modified Aldrete, PADSS)."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="scores")
    code = models.CharField(max_length=10)
    point = models.CharField(max_length=10, choices=ScalePoint.choices)
    # Instrument-specific item answers, validated against the definition; the total has its
    # own column (style.md).
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__lte=92), name="session_score_total_range")
        ]

    def __str__(self):
        return f"{self.code} = {self.total}"


class AdverseEvent(models.Model):
    """An adverse event during a session, with onset, severity, action and outcome (§3.7)."""

    class Term(models.TextChoices):
        # domain.md §3.7: esketamine and ketamine labels [R48][R51], psychiatric [R31][R33].
        HYPERTENSION = "hypertension", _("blood pressure increase")
        HYPOTENSION = "hypotension", _("hypotension or bradycardia")
        ARRHYTHMIA = "arrhythmia", _("arrhythmia")
        SEDATION = "sedation", _("sedation")
        DISSOCIATION = "dissociation", _("dissociation")
        RESPIRATORY_DEPRESSION = "resp_depression", _("respiratory depression")
        LARYNGOSPASM = "laryngospasm", _("laryngospasm")
        NAUSEA = "nausea", _("nausea or vomiting")
        EMERGENCE = "emergence", _("emergence reaction")
        VISUAL = "visual", _("diplopia, nystagmus")
        MOVEMENTS = "movements", _("tonic-clonic movements")
        INJECTION_SITE = "injection_site", _("injection-site pain or rash")
        ANAPHYLAXIS = "anaphylaxis", _("anaphylaxis")
        SUICIDAL_THOUGHTS = "suicidal", _("suicidal thoughts")
        MANIA = "mania", _("mania or hypomania")
        PSYCHOTOMIMETIC = "psychotomimetic", _("psychotomimetic symptoms")
        OTHER = "other", _("other")

    class Severity(models.TextChoices):
        MILD = "mild", _("mild")
        MODERATE = "moderate", _("moderate")
        SEVERE = "severe", _("severe")
        LIFE_THREATENING = "life_threatening", _("life-threatening")

    class Action(models.TextChoices):
        NONE = "none", _("none, observed")
        SLOWED = "slowed", _("infusion slowed")
        PAUSED = "paused", _("infusion paused")
        STOPPED = "stopped", _("infusion stopped")
        MEDICATION = "medication", _("medication given")
        TRANSFERRED = "transferred", _("transferred to emergency care")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("resolved")
        RESOLVING = "resolving", _("resolving")
        ONGOING = "ongoing", _("ongoing at discharge")
        SEQUELAE = "sequelae", _("resolved with sequelae")
        UNKNOWN = "unknown", _("unknown")

    session = models.ForeignKey(
        InfusionSession, on_delete=models.PROTECT, related_name="adverse_events"
    )
    term = models.CharField(_("event"), max_length=20, choices=Term.choices)
    onset_at = models.DateTimeField(_("onset"))
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    action = models.CharField(_("action taken"), max_length=20, choices=Action.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["onset_at", "pk"]

    def __str__(self):
        return f"{self.get_term_display()} ({self.get_severity_display()})"


class Discharge(models.Model):
    """How a session ended: the criteria as they stood, or the physician's override."""

    session = models.OneToOneField(
        InfusionSession, on_delete=models.PROTECT, related_name="discharge"
    )
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.ForeignKey(SessionScore, on_delete=models.PROTECT, null=True, related_name="+")
    escort_confirmed = models.BooleanField(default=False)
    instructions_given = models.BooleanField(default=False)
    observed_minutes = models.PositiveIntegerField()
    # Criteria that were not met, as the override acknowledged them.
    unmet = models.JSONField(default=list)
    override_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(unmet=[]) | ~Q(override_reason=""),
                name="discharge_with_unmet_criteria_needs_override",
            )
        ]

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M}"


# TES -----------------------------------------------------------------------------------------

# 10-20 system positions used for montages, plus extracephalic and supraorbital sites [R73].
TEN_TWENTY = [
    "Fp1", "Fp2", "Fpz", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6",
    "T7", "C3", "Cz", "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8", "O1",
    "Oz", "O2",
]  # fmt: skip
ELECTRODE_POSITIONS = [(p, p) for p in TEN_TWENTY] + [
    ("SO_left", _("left supraorbital")),
    ("SO_right", _("right supraorbital")),
    ("extracephalic", _("extracephalic (shoulder or arm)")),
]


class Skin(models.TextChoices):
    INTACT = "intact", _("intact")
    REDNESS = "redness", _("redness")
    LESION = "lesion", _("lesion or burn")


class TesSessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_clinical:
            return self.none()
        return self.filter(site_id__in=user.site_ids)


class TesSession(models.Model):
    """One transcranial electrical stimulation session (domain.md §4)."""

    class Type(models.TextChoices):
        TDCS = "tdcs", _("tDCS")
        TACS = "tacs", _("tACS")
        OTHER = "other", _("other TES")

    class Status(models.TextChoices):
        STARTED = "started", _("started")
        COMPLETED = "completed", _("completed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, null=True, related_name="tes_sessions"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey("locations.Room", on_delete=models.PROTECT, related_name="+")
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tes_session",
    )
    device = models.CharField(_("device"), max_length=100)
    serial_number = models.CharField(_("serial number"), max_length=60)
    stimulation = models.CharField(_("type"), max_length=10, choices=Type.choices)
    anode = models.CharField(_("anode"), max_length=20, choices=ELECTRODE_POSITIONS)
    cathode = models.CharField(_("cathode"), max_length=20, choices=ELECTRODE_POSITIONS)
    electrode_area_cm2 = models.DecimalField(
        _("electrode area (cm²)"), max_digits=4, decimal_places=1
    )
    current_ma = models.DecimalField(_("current (mA)"), max_digits=3, decimal_places=1)
    minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    ramp_up_seconds = models.PositiveSmallIntegerField(_("ramp up (seconds)"))
    ramp_down_seconds = models.PositiveSmallIntegerField(_("ramp down (seconds)"))
    # Derived: C = A x s; mA/cm² (domain.md §4).
    charge_c = models.DecimalField(max_digits=5, decimal_places=3)
    current_density_ma_cm2 = models.DecimalField(max_digits=6, decimal_places=4)
    skin_before = models.CharField(_("skin before"), max_length=10, choices=Skin.choices)
    skin_before_note = models.CharField(_("skin before: note"), max_length=300, blank=True)
    skin_after = models.CharField(_("skin after"), max_length=10, choices=Skin.choices, blank=True)
    skin_after_note = models.CharField(_("skin after: note"), max_length=300, blank=True)
    sensations = models.CharField(_("sensations"), max_length=500, blank=True)
    adverse_effects = models.CharField(_("adverse effects"), max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = TesSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_ma__gt=0, current_ma__lte=TES_CEILING_MA),
                name="tes_session_current_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=TES_CEILING_MINUTES),
                name="tes_session_minutes_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(charge_c__gt=0, charge_c__lte=TES_CEILING_CHARGE_C),
                name="tes_session_charge_ceiling",
            ),
            models.CheckConstraint(
                condition=Q(electrode_area_cm2__gt=0), name="tes_session_area_positive"
            ),
            models.CheckConstraint(
                condition=Q(ramp_up_seconds__lte=300, ramp_down_seconds__lte=300),
                name="tes_session_ramps_range",
            ),
        ]

    def __str__(self):
        return f"{self.current_ma} mA x {self.minutes} min"


# Session notes ------------------------------------------------------------------------------


class NoteQuerySet(models.QuerySet):
    def at_sites(self, site_ids):
        return self.filter(patient__home_site_id__in=site_ids)


class SessionNote(SignedNote):
    """The note of a psychotherapy, integration, body-oriented or neuro-rehabilitation session.

    Signing locks it; later corrections are addenda.
    """

    class Kind(models.TextChoices):
        PSYCHOTHERAPY = "psychotherapy", _("Psychotherapy")
        INTEGRATION = "integration", _("Integration")
        BODY_ORIENTED = "body_oriented", _("Body-oriented therapy")
        NEURO_REHABILITATION = "neuro_rehabilitation", _("Neuro-rehabilitation")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    held_on = models.DateField(_("date"))
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="session_notes",
    )
    # The infusion an integration session follows.
    infusion = models.ForeignKey(
        InfusionSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("note"))

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on:%d.%m.%Y}"
