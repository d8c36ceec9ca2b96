"""Reads of the patient record that other apps and the chart use.

Public for other apps: `current_ketamine_eligibility`, `latest_weight`, `medication_changes`,
`has_consent`, `current_intake`, `trd_picture`, `ketamine_screen`, `active_medications`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.formulary.models import Interaction
from clinic.formulary.selectors import adequacy_rules, minimum_doses
from clinic.patients import assessment, limits, screening
from clinic.patients.models import (
    AntidepressantTrial,
    BloodPressure,
    BodyMeasurement,
    ClinicalNote,
    Consent,
    EligibilityDecision,
    Intake,
    Medication,
    Patient,
    PriorTreatment,
)

_CACHE = "_clinic_record_cache"


def _cached(patient: Patient, key: str, compute):
    """Memoise a read on the patient object, so the chart's header and sections share it."""
    cache = patient.__dict__.setdefault(_CACHE, {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget(patient: Patient) -> None:
    patient.__dict__.pop(_CACHE, None)


def has_consent(patient: Patient, purpose: str) -> bool:
    """Whether a consent for `purpose` (ConsentPurpose) is given and not withdrawn."""
    return Consent.objects.in_force().filter(patient=patient, purpose=purpose).exists()


def current_intake(patient: Patient) -> Intake | None:
    return _cached(patient, "intake", lambda: Intake.objects.current_for(patient))


def latest_weight(patient: Patient) -> tuple[Decimal, date] | None:
    """(kg, measured_on) of the newest valid weight, for dose calculation."""
    row = (
        BodyMeasurement.objects.standing()
        .filter(patient=patient)
        .order_by("-measured_on", "-pk")
        .values_list("weight_kg", "measured_on")
        .first()
    )
    return tuple(row) if row else None


def latest_blood_pressure(patient: Patient) -> BloodPressure | None:
    return _cached(
        patient,
        "bp",
        lambda: (
            BloodPressure.objects.standing()
            .filter(patient=patient)
            .order_by("-measured_on", "-pk")
            .first()
        ),
    )


def trials_of(patient: Patient) -> list[AntidepressantTrial]:
    return _cached(
        patient,
        "trials",
        lambda: list(
            AntidepressantTrial.objects.standing()
            .filter(patient=patient)
            .select_related("drug", "recorded_by")
        ),
    )


def prior_treatments_of(patient: Patient) -> list[PriorTreatment]:
    return _cached(
        patient,
        "prior_treatments",
        lambda: list(
            PriorTreatment.objects.standing().filter(patient=patient).select_related("drug")
        ),
    )


def medications_of(patient: Patient) -> list[Medication]:
    return _cached(
        patient,
        "medications",
        lambda: list(Medication.objects.standing().filter(patient=patient).select_related("drug")),
    )


def active_medications(patient: Patient, on: date | None = None) -> list[Medication]:
    day = on or timezone.localdate()
    return [m for m in medications_of(patient) if m.active_on(day)]


def medication_changes(patient: Patient) -> list[tuple[date, str]]:
    """(date, label) of every start and stop of a medicine or an antidepressant trial, oldest
    first, for markers on rating-scale charts."""
    changes = []
    for trial in trials_of(patient):
        dose = (
            " " + _("%(mg)s mg/day") % {"mg": assessment._number(trial.daily_dose_mg)}
            if trial.daily_dose_mg
            else ""
        )
        if trial.started_on:
            changes.append(
                (trial.started_on, _("%(drug)s started") % {"drug": trial.drug.name + dose})
            )
        if trial.stopped_on:
            changes.append((trial.stopped_on, _("%(drug)s stopped") % {"drug": trial.drug.name}))
    for medication in medications_of(patient):
        if medication.started_on:
            changes.append(
                (medication.started_on, _("%(drug)s started") % {"drug": medication.name})
            )
        if medication.stopped_on:
            changes.append(
                (medication.stopped_on, _("%(drug)s stopped") % {"drug": medication.name})
            )
    return sorted(changes, key=lambda change: change[0])


@dataclass(frozen=True)
class TrdPicture:
    """Everything the chart says about treatment resistance, computed once."""

    rules: object
    assessed: list
    earlier_episode: list
    status: assessment.TrdStatus
    pseudo: assessment.PseudoResistance
    thase_rush: int | None
    maudsley: assessment.MaudsleyScore | None
    maudsley_missing: list
    episode_months: int | None

    @property
    def thase_rush_label(self) -> str:
        return "—" if self.thase_rush is None else assessment.ROMAN[self.thase_rush]


def rules_for_assessment(rules=None) -> assessment.Rules:
    rules = rules or adequacy_rules()
    return assessment.Rules(
        min_weeks=rules.min_weeks,
        early_stop_weeks=rules.early_stop_weeks,
        failure_below_pct=rules.failure_below_pct,
    )


def _trial_facts(trial: AntidepressantTrial, minima: dict) -> assessment.Trial:
    return assessment.Trial(
        drug=trial.drug.name,
        drug_key=trial.drug.code,
        drug_class=trial.drug.drug_class,
        daily_dose_mg=trial.daily_dose_mg,
        minimum_dose_mg=minima.get(trial.drug_id),
        started_on=trial.started_on,
        stopped_on=trial.stopped_on,
        adherence=trial.adherence,
        improvement_pct=trial.improvement_pct,
        ref=trial,
    )


def _overlaps(a_start, a_stop, b_start, b_stop, today) -> bool:
    a_start, b_start = a_start or date.min, b_start or date.min
    return a_start <= (b_stop or today) and b_start <= (a_stop or today)


def trd_picture(patient: Patient, *, today: date | None = None) -> TrdPicture:
    """Assess the recorded treatment history against the configured rules."""

    def compute():
        day = today or timezone.localdate()
        stored_rules = adequacy_rules()
        rules = rules_for_assessment(stored_rules)
        minima = minimum_doses()
        intake = current_intake(patient)
        onset = intake.episode_onset if intake else None
        facts = [_trial_facts(t, minima) for t in trials_of(patient)]
        current = [f for f in facts if assessment.in_episode(f, onset)]
        earlier = [f for f in facts if not assessment.in_episode(f, onset)]
        assessed = [assessment.assess_trial(f, rules, today=day) for f in current]
        status = assessment.trd_status(assessed, bipolar=bool(intake and intake.bipolar_history))
        inducers = [
            m
            for m in medications_of(patient)
            if m.drug_id and m.drug.ketamine_interaction == Interaction.CYP_INDUCER
        ]
        interactions = [
            (a.trial.drug, m.name)
            for a in assessed
            if not a.helped
            for m in inducers
            if _overlaps(a.trial.started_on, a.trial.stopped_on, m.started_on, m.stopped_on, day)
        ]
        pseudo = assessment.pseudo_resistance(assessed, rules=rules, interactions=interactions)
        courses = [
            assessment.Course(
                kind=c.kind,
                bilateral=c.bilateral,
                improvement_pct=c.improvement_pct,
                started_on=c.started_on,
                stopped_on=c.stopped_on,
            )
            for c in prior_treatments_of(patient)
            if onset is None or c.stopped_on is None or c.stopped_on >= onset
        ]
        stage = assessment.thase_rush_stage(assessed, courses, rules=rules)
        months = assessment.months_between(onset, day) if onset else None
        failed = len({a.trial.drug_key for a in assessed if a.failed})
        missing = []
        if months is None:
            missing.append(_("the onset of the current episode"))
        if not (intake and intake.severity):
            missing.append(_("the severity of the episode"))
        if failed < 1:
            missing.append(_("at least one failed adequate trial"))
        msm = assessment.maudsley_score(
            episode_months=months,
            severity=intake.severity if intake else None,
            psychotic=bool(intake and intake.psychotic_features),
            failed_count=failed,
            augmentation_used=any(c.kind == "augmentation" for c in courses),
            ect_used=any(c.kind == "ect" for c in courses),
        )
        return TrdPicture(
            rules=stored_rules,
            assessed=assessed,
            earlier_episode=earlier,
            status=status,
            pseudo=pseudo,
            thase_rush=stage,
            maudsley=msm,
            maudsley_missing=missing,
            episode_months=months,
        )

    if today is not None:
        return compute()
    return _cached(patient, "trd", compute)


def screen_facts(patient: Patient) -> screening.ScreenFacts:
    intake = current_intake(patient)
    bp = latest_blood_pressure(patient)
    today = timezone.localdate()
    medications = [
        (m.name, m.drug.ketamine_interaction) for m in active_medications(patient) if m.drug_id
    ]
    medications += [
        (t.drug.name, t.drug.ketamine_interaction)
        for t in trials_of(patient)
        if t.stopped_on is None and (t.started_on is None or t.started_on <= today)
    ]
    return screening.ScreenFacts(
        conditions=frozenset(f for f in Intake.SCREEN_CONDITIONS if intake and getattr(intake, f)),
        blood_pressure=(bp.systolic, bp.diastolic, bp.measured_on) if bp else None,
        psychotic_features=bool(intake and intake.psychotic_features),
        substance_use=intake.substance_use if intake else "none",
        pregnant=bool(intake and intake.pregnant),
        breastfeeding=intake.breastfeeding if intake else "",
        medications=tuple(medications),
        has_intake=intake is not None,
        bp_limits=limits.blood_pressure_limits(patient.home_site_id),
    )


def ketamine_screen(patient: Patient) -> list[screening.Finding]:
    """Contraindications, cautions and interactions found in the record now."""
    return _cached(patient, "screen", lambda: screening.ketamine_screen(screen_facts(patient)))


def eligibility_decisions(patient: Patient):
    """Every ketamine eligibility decision on the patient's record, newest first."""
    return (
        EligibilityDecision.objects.filter(patient=patient)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    )


def current_ketamine_eligibility(patient: Patient) -> EligibilityDecision | None:
    """The physician's decision in force (`is_eligible`, `decided_by`, `decided_at`,
    `reasons`, `override_reason`, `findings`), or None when nobody has decided yet."""
    return _cached(
        patient,
        "eligibility",
        lambda: (
            EligibilityDecision.objects.filter(patient=patient)
            .select_related("decided_by")
            .order_by("-decided_at", "-pk")
            .first()
        ),
    )


def risk_flags_for(patient: Patient) -> list[tuple[str, str]]:
    intake = current_intake(patient)
    today = timezone.localdate()
    return screening.risk_flags(
        sex=patient.sex,
        age=patient.age_on(today),
        severity=intake.severity if intake else "",
        episode_count=intake.episode_count if intake else None,
        comorbidity=bool(
            intake
            and (intake.physical_comorbidities.strip() or intake.mental_comorbidities.strip())
        ),
        sleep_disorder=bool(intake and intake.sleep_disorder),
        eating_disorder=bool(intake and intake.eating_disorder),
        substance_use=intake.substance_use if intake else "none",
    )


def peripartum_for(patient: Patient) -> bool | None:
    intake = current_intake(patient)
    if intake is None:
        return None
    return screening.peripartum_onset(
        intake.episode_onset,
        delivery_date=intake.delivery_date,
        pregnancy_start=intake.pregnancy_start,
        pregnant=intake.pregnant,
    )


def retention_holds(patient: Patient) -> list[str]:
    """Why this record must be kept: the kinds of medical content it holds."""
    checks = [
        (Intake.objects.filter(patient=patient), _("intake")),
        (AntidepressantTrial.objects.filter(patient=patient), _("treatment history")),
        (PriorTreatment.objects.filter(patient=patient), _("treatment history")),
        (Medication.objects.filter(patient=patient), _("medications")),
        (BodyMeasurement.objects.filter(patient=patient), _("measurements")),
        (BloodPressure.objects.filter(patient=patient), _("measurements")),
        (ClinicalNote.objects.filter(patient=patient), _("clinical notes")),
        (EligibilityDecision.objects.filter(patient=patient), _("ketamine decisions")),
    ]
    holds = []
    for queryset, label in checks:
        if label not in holds and queryset.exists():
            holds.append(label)
    return holds
