"""The clinical arithmetic of a session, as pure functions: dose, pressure checks, alerts,
TES charge, scale totals, the vitals schedule. Services call these; tests drive them with
hypothesis. Every number comes from a site's `TreatmentSettings`; sources in PROVENANCE.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

UNCONFIRMED = _("UNCONFIRMED — to be confirmed by the medical director.")

# Where each default of TreatmentSettings comes from (shown beside the field when editing).
PROVENANCE = {
    "weight_max_age_days": _("30 days: clinic policy, domain.md §3.3."),
    "fasting_required": UNCONFIRMED,
    "fasting_hours": UNCONFIRMED,
    "bp_warn_systolic": _(
        ">140/90 mmHg: general guide to weigh delaying the dose, domain.md §3.4 [R50]."
    ),
    "bp_warn_diastolic": _(
        ">140/90 mmHg: general guide to weigh delaying the dose, domain.md §3.4 [R50]."
    ),
    "bp_block_systolic": _(
        ">180/100 mmHg at rest: contraindication in the Swiss ketamine SmPC, domain.md §3.4 [R51]."
    ),
    "bp_block_diastolic": _(
        ">180/100 mmHg at rest: contraindication in the Swiss ketamine SmPC, domain.md §3.4 [R51]."
    ),
    "default_dose_mg_per_kg": _(
        "0.5 mg/kg over 40 min, the most common regimen, domain.md §3.3 [R42]."
    ),
    "max_dose_mg_per_kg": _(
        "Up to 0.75 mg/kg reported, domain.md §3.3 [R42]; cannot be set higher."
    ),
    "max_dose_mg": UNCONFIRMED,
    "default_infusion_minutes": _("40 minutes, domain.md §3.3 [R42]."),
    "max_rate_mg_per_kg_per_min": _(
        "UNCONFIRMED — no source gives a maximum infusion rate. Default 0.019 mg/kg/min: the "
        "highest reported dose (0.75 mg/kg) over the standard 40 minutes, domain.md §3.3 "
        "[R42] (derived); the standard 0.5 mg/kg over 40 min is 0.0125. To be confirmed by "
        "the medical director."
    ),
    "vitals_every_minutes_infusing": _(
        "Every 10 min during the infusion (Emory cohort), domain.md §3.4 [R44]."
    ),
    "vitals_every_minutes_after": _(
        "Every 15 min after the infusion (Emory cohort), domain.md §3.4 [R44]."
    ),
    "alert_systolic_above": _(
        "Intra-infusion limits are not given numerically by Sanacora: UNCONFIRMED — to "
        "be confirmed by the medical director."
    ),
    "alert_diastolic_above": UNCONFIRMED,
    "alert_systolic_below": UNCONFIRMED,
    "alert_heart_rate_above": UNCONFIRMED,
    "alert_heart_rate_below": UNCONFIRMED,
    "alert_spo2_below": _(
        # xgettext:no-python-format
        "Aldrete's full score needs SpO2 >92% on room air, domain.md §3.4 [R34]."
    ),
    "alert_resp_rate_below": UNCONFIRMED,
    "alert_resp_rate_above": UNCONFIRMED,
    "alert_escalate_after_minutes": _(
        "5 min: clinic policy for an unacknowledged chair alert, set per site by the "
        "medical director (UNCONFIRMED)."
    ),
    "cadss_at_minutes": _(
        "Dissociation is reported in the first 60 min; record at about 40 min, "
        "domain.md §2.9 [R31]."
    ),
    "min_observation_minutes": _(
        "At least 2 h by the esketamine label, domain.md §3.6 [R48]; for IV racemic "
        "ketamine UNCONFIRMED."
    ),
    "discharge_scale": _("PADSS [R35] or modified Aldrete [R34], domain.md §2.12."),
    "discharge_threshold": _(
        "PADSS ≥9 [R35]; Aldrete ≥9 commonly taught (UNCONFIRMED), domain.md §2.12."
    ),
    "tes_max_current_ma": _("Default 2 mA; hard ceiling 4 mA, domain.md §4 [R70]."),
    "tes_max_minutes": _("Hard ceiling 40 min, domain.md §4 [R70]."),
    "tes_max_charge_c": _("Hard ceiling 7.2 C, domain.md §4 [R70]."),
    "integration_offer_hours": UNCONFIRMED,
    "pump_late_entry_minutes": _(
        "120 min: clinic policy, not a clinical threshold: how long after a pump event (a "
        "pause for an air-raid alert, a power cut) the nurse may still record it with the time "
        "it happened. Takes effect when saved, without a co-signature."
    ),
}

MG = Decimal("0.1")
ML = Decimal("0.1")


def _round(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DoseCalculation:
    dose_mg: Decimal
    volume_ml: Decimal
    rate_ml_per_h: Decimal
    mg_per_min: Decimal


def calculate_dose(
    *, weight_kg: Decimal, mg_per_kg: Decimal, concentration_mg_per_ml: Decimal, minutes: int
) -> DoseCalculation:
    """mg/kg x weight -> mg, the volume at the concentration used, and the pump rate.

    The calculation of dose orders signed before dose preparations (their concentration was
    a free field). New orders are made up by `clinic.treatment.preparation.prepare`, which
    takes the strength from the register lot and the method of preparation.

    domain.md §3.3 test vector: 70 kg x 0.5 mg/kg = 35 mg over 40 min = 0.875 mg/min.
    The volume and the rate follow from the rounded dose, so what the pump delivers over the
    set time is exactly the signed dose.
    """
    dose_mg = _round(weight_kg * mg_per_kg, MG)
    volume_ml = _round(dose_mg / concentration_mg_per_ml, ML)
    rate = _round(volume_ml * 60 / minutes, ML)
    return DoseCalculation(
        dose_mg=dose_mg,
        volume_ml=volume_ml,
        rate_ml_per_h=rate,
        mg_per_min=(dose_mg / minutes).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
    )


def dose_problems(*, mg_per_kg: Decimal, dose_mg: Decimal, rules) -> list[str]:
    """Reasons a dose exceeds the site's limits (empty when it does not)."""
    problems = []
    if mg_per_kg > rules.max_dose_mg_per_kg:
        problems.append(
            _("%(dose)s mg/kg is above the maximum of %(limit)s mg/kg.")
            % {"dose": localize(mg_per_kg), "limit": localize(rules.max_dose_mg_per_kg)}
        )
    if dose_mg > rules.max_dose_mg:
        problems.append(
            _("%(dose)s mg is above the maximum of %(limit)s mg per session.")
            % {"dose": localize(dose_mg), "limit": localize(rules.max_dose_mg)}
        )
    return problems


BP_NORMAL, BP_WARN, BP_BLOCK = "normal", "warn", "block"


def classify_predose_bp(systolic: int, diastolic: int, rules) -> str:
    """Above the hard threshold blocks; above the warning asks for a physician (domain.md §3.4)."""
    if systolic > rules.bp_block_systolic or diastolic > rules.bp_block_diastolic:
        return BP_BLOCK
    if systolic > rules.bp_warn_systolic or diastolic > rules.bp_warn_diastolic:
        return BP_WARN
    return BP_NORMAL


def out_of_range(reading, rules) -> list[tuple[str, int, int]]:
    """(alert kind, value, limit) for every value outside the site's monitoring limits."""
    checks = [
        ("systolic_high", reading.systolic, rules.alert_systolic_above, 1),
        ("diastolic_high", reading.diastolic, rules.alert_diastolic_above, 1),
        ("systolic_low", reading.systolic, rules.alert_systolic_below, -1),
        ("heart_rate_high", reading.heart_rate, rules.alert_heart_rate_above, 1),
        ("heart_rate_low", reading.heart_rate, rules.alert_heart_rate_below, -1),
        ("spo2_low", reading.spo2, rules.alert_spo2_below, -1),
        ("resp_rate_low", reading.resp_rate, rules.alert_resp_rate_below, -1),
        ("resp_rate_high", reading.resp_rate, rules.alert_resp_rate_above, 1),
    ]
    found = []
    for kind, value, limit, direction in checks:
        if value is None:
            continue
        if (direction > 0 and value > limit) or (direction < 0 and value < limit):
            found.append((kind, value, limit))
    return found


# TES -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TesDerived:
    charge_c: Decimal
    current_density_ma_cm2: Decimal


def tes_derived(*, current_ma: Decimal, minutes: int, electrode_area_cm2: Decimal) -> TesDerived:
    """Charge C = A x s and current density mA/cm² (domain.md §4: 2 mA x 30 min = 3.6 C;
    2 mA / 25 cm² = 0.08 mA/cm²). Ramps are not counted: the plateau dominates the charge."""
    charge = (current_ma / 1000 * minutes * 60).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    density = (current_ma / electrode_area_cm2).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return TesDerived(charge_c=charge, current_density_ma_cm2=density)


def tes_problems(*, current_ma: Decimal, minutes: int, charge_c: Decimal, rules) -> list[str]:
    """Why TES parameters are refused: above the site's limits (never above the ceilings)."""
    problems = []
    if current_ma > rules.tes_max_current_ma:
        problems.append(
            _("The current %(value)s mA is above the limit of %(limit)s mA.")
            % {"value": localize(current_ma), "limit": localize(rules.tes_max_current_ma)}
        )
    if minutes > rules.tes_max_minutes:
        problems.append(
            _("The duration %(value)s min is above the limit of %(limit)s min.")
            % {"value": localize(minutes), "limit": localize(rules.tes_max_minutes)}
        )
    if charge_c > rules.tes_max_charge_c:
        problems.append(
            _("The charge %(value)s C is above the limit of %(limit)s C.")
            % {"value": localize(charge_c), "limit": localize(rules.tes_max_charge_c)}
        )
    return problems


# Vitals schedule ------------------------------------------------------------------------------


def next_vitals_due(
    *, phase_started_at: datetime, last_reading_at: datetime | None, every_minutes: int
) -> datetime:
    """The next reading is due one interval after the last one in this phase (or its start)."""
    anchor = phase_started_at
    if last_reading_at is not None and last_reading_at > anchor:
        anchor = last_reading_at
    return anchor + timedelta(minutes=every_minutes)
