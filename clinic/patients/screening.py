"""The ketamine screen, the seed's TRD risk groups and the DSM-5 peripartum-onset check, as
pure functions over plain data (domain.md §3.2, §5, §7; seeds: the TRD page's risk groups)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

# The blood-pressure limits are the site's (`BloodPressureLimits`, handed in by the caller):
# treatment's per-site pre-dose thresholds, whose defaults and sources are in
# clinic.treatment.rules.PROVENANCE (Swiss ketamine SmPC > 180/100 [R51]; J&J > 140/90 [R50]).
# DSM-5 "with peripartum onset": during pregnancy or within 4 weeks after delivery [R80].
PERIPARTUM_DAYS = 28
# "Elderly": age 65, the age at which the esketamine label lowers the starting dose [R48].
ELDERLY_AGE = 65

CONTRAINDICATION = "contraindication"
CAUTION = "caution"
INTERACTION = "interaction"


@dataclass(frozen=True)
class Finding:
    kind: str
    code: str
    text: str
    source: str

    @property
    def is_contraindication(self) -> bool:
        return self.kind == CONTRAINDICATION


@dataclass(frozen=True)
class BloodPressureLimits:
    """A site's resting blood-pressure thresholds: above `block_*` is a contraindication,
    above `warn_*` a caution (clinic data, signed by a physician; see docs/architecture.md)."""

    block_systolic: int
    block_diastolic: int
    warn_systolic: int
    warn_diastolic: int
    source: str = ""


@dataclass(frozen=True)
class ScreenFacts:
    conditions: frozenset[str]  # Intake.SCREEN_CONDITIONS that are ticked
    blood_pressure: tuple[int, int, date] | None
    psychotic_features: bool = False
    substance_use: str = "none"
    pregnant: bool = False
    breastfeeding: str = ""
    medications: tuple[tuple[str, str], ...] = ()  # (name, interaction code)
    has_intake: bool = True
    # None: the patient's site has no thresholds to read, so a reading is not classified.
    bp_limits: BloodPressureLimits | None = None


_CONDITIONS = {
    # code: (kind, source); the texts are in _condition_text, translated
    "ketamine_hypersensitivity": (CONTRAINDICATION, "Ketalar SmPC; Spravato USPI [R51][R48]"),
    "coronary_disease": (CONTRAINDICATION, "Ketalar SmPC [R51]"),
    "stroke_history": (CONTRAINDICATION, "Ketalar SmPC; Swiss SmPC [R51]"),
    "cerebral_trauma": (CONTRAINDICATION, "Ketalar SmPC [R51]"),
    "aneurysm_or_avm": (CONTRAINDICATION, "Spravato USPI [R48]"),
    "intracerebral_haemorrhage": (CONTRAINDICATION, "Spravato USPI [R48]"),
    "preeclampsia": (CONTRAINDICATION, "Ketalar SmPC; Swiss SmPC [R51]"),
    "hyperthyroidism_untreated": (CONTRAINDICATION, "Swiss SmPC [R51]"),
    "raised_intracranial_pressure": (CAUTION, "ketamine precautions [R51]"),
    "hepatic_impairment": (CAUTION, "ketamine precautions [R51]"),
    "chronic_alcohol_use": (CAUTION, "ketamine precautions [R51]"),
    "psychosis_history": (CAUTION, "Spravato USPI [R48]"),
    "hypertension_treated": (CAUTION, "Yale and Emory cohorts [R44][R46]"),
}

# interaction code: source (domain.md §7)
_INTERACTIONS = {
    "benzodiazepine": "Andrashko 2020 [R60][R43]",
    "lamotrigine": "Anand 2000 [R61]",
    "naltrexone": "Williams 2018 [R62]",
    "maoi": "Spravato USPI; REMS form [R48][R49]",
    "stimulant": "Spravato USPI; REMS form [R48][R49]",
    "cyp_inducer": "Andrade 2017 [R43]",
    "cyp_inhibitor": "Andrade 2017 [R43]",
    "cns_depressant": "Spravato USPI [R48]",
    "theophylline": "Ketalar SmPC [R51]",
}


def _condition_text(code: str) -> str:
    return {
        "ketamine_hypersensitivity": _("hypersensitivity to ketamine or esketamine"),
        "coronary_disease": _("severe coronary or myocardial disease"),
        "stroke_history": _("previous stroke: a rise in blood pressure is a serious hazard"),
        "cerebral_trauma": _("cerebral trauma"),
        "aneurysm_or_avm": _("aneurysmal vascular disease or arteriovenous malformation"),
        "intracerebral_haemorrhage": _("history of intracerebral haemorrhage"),
        "preeclampsia": _("pre-eclampsia or eclampsia"),
        "hyperthyroidism_untreated": _("untreated hyperthyroidism"),
        "raised_intracranial_pressure": _("raised intracranial pressure"),
        "hepatic_impairment": _("hepatic impairment: check liver function tests"),
        "chronic_alcohol_use": _("chronic alcohol use"),
        "psychosis_history": _(
            "history of psychosis: treat only if the benefit outweighs the risk"
        ),
        "hypertension_treated": _("treated hypertension: blood pressure rises during infusions"),
    }[code]


def _interaction_text(code: str, name: str) -> str:
    texts = {
        "benzodiazepine": _("%(drug)s may blunt the antidepressant effect of ketamine"),
        "lamotrigine": _("%(drug)s attenuates the perceptual effects of ketamine"),
        "naltrexone": _("%(drug)s markedly attenuated the antidepressant effect of ketamine"),
        "maoi": _("%(drug)s raises blood pressure with ketamine"),
        "stimulant": _("%(drug)s raises blood pressure with ketamine"),
        "cyp_inducer": _("%(drug)s lowers ketamine exposure (CYP2B6/3A4 inducer)"),
        "cyp_inhibitor": _("%(drug)s raises ketamine exposure (CYP2B6/3A4 inhibitor)"),
        "cns_depressant": _("%(drug)s adds to the sedation: monitor closely"),
        "theophylline": _("%(drug)s may lower the seizure threshold with ketamine"),
    }
    return texts[code] % {"drug": name}


def ketamine_screen(facts: ScreenFacts) -> list[Finding]:
    """Contraindications first, then cautions, then interactions with current medicines."""
    findings: list[Finding] = []
    if not facts.has_intake:
        findings.append(
            Finding(CAUTION, "no_intake", _("the intake is not recorded yet"), "domain.md §3.2")
        )
    bp = facts.blood_pressure
    if bp is None:
        findings.append(
            Finding(
                CAUTION,
                "no_blood_pressure",
                _("no resting blood pressure is recorded"),
                "Spravato USPI [R48]",
            )
        )
    elif facts.bp_limits is None:
        findings.append(
            Finding(
                CAUTION,
                "no_blood_pressure_limits",
                _("the site has no blood-pressure thresholds to judge the reading against"),
                "docs/architecture.md",
            )
        )
    else:
        systolic, diastolic, measured_on = bp
        limits = facts.bp_limits
        values = {
            "bp": f"{systolic}/{diastolic}",
            "date": measured_on.strftime("%d.%m.%Y"),
            "limit": f"{limits.block_systolic}/{limits.block_diastolic}",
        }
        if systolic > limits.block_systolic or diastolic > limits.block_diastolic:
            findings.append(
                Finding(
                    CONTRAINDICATION,
                    "uncontrolled_hypertension",
                    _("uncontrolled hypertension: %(bp)s mmHg at rest on %(date)s, above %(limit)s")
                    % values,
                    limits.source or "Swiss ketamine SmPC [R51]",
                )
            )
        elif systolic > limits.warn_systolic or diastolic > limits.warn_diastolic:
            values["limit"] = f"{limits.warn_systolic}/{limits.warn_diastolic}"
            findings.append(
                Finding(
                    CAUTION,
                    "elevated_blood_pressure",
                    _("elevated blood pressure: %(bp)s mmHg on %(date)s, above %(limit)s") % values,
                    limits.source or "J&J medical information [R50]",
                )
            )
    for code in sorted(facts.conditions, key=list(_CONDITIONS).index):
        kind, source = _CONDITIONS[code]
        findings.append(Finding(kind, code, _condition_text(code), source))
    if facts.psychotic_features:
        findings.append(
            Finding(
                CAUTION,
                "psychotic_features",
                _("psychotic features in the current episode"),
                "Sanacora 2017; Spravato USPI [R40][R48]",
            )
        )
    if facts.substance_use in ("past", "current"):
        findings.append(
            Finding(
                CAUTION,
                "substance_use",
                _("history of substance use: assess the risk of misuse"),
                "Spravato USPI; ketamine precautions [R48][R51]",
            )
        )
    if facts.pregnant:
        findings.append(
            Finding(
                CONTRAINDICATION,
                "pregnancy",
                _("pregnancy: ketamine is not recommended and may cause fetal harm"),
                "Spravato USPI; Ketalar [R48][R51]",
            )
        )
    if facts.breastfeeding in ("exclusive", "mixed", "expressing"):
        findings.append(
            Finding(
                CAUTION,
                "breastfeeding",
                _("breastfeeding: low milk levels, watch the infant for sedation and feeding"),
                "LactMed [R54]",
            )
        )
    for name, interaction in facts.medications:
        if interaction in _INTERACTIONS:
            findings.append(
                Finding(
                    INTERACTION,
                    f"interaction:{interaction}",
                    _interaction_text(interaction, name),
                    _INTERACTIONS[interaction],
                )
            )
    order = {CONTRAINDICATION: 0, CAUTION: 1, INTERACTION: 2}
    return sorted(findings, key=lambda f: order[f.kind])


# Risk groups (the seed's TRD page) --------------------------------------------------------


def risk_flags(
    *,
    sex: str,
    age: int,
    severity: str,
    episode_count: int | None,
    comorbidity: bool,
    sleep_disorder: bool,
    eating_disorder: bool,
    substance_use: str,
) -> list[tuple[str, str]]:
    """(code, label) of the seed's groups at higher risk of TRD present in this record."""
    flags = []
    if sex == "female":
        flags.append(("woman", _("woman")))
    if age >= ELDERLY_AGE:
        flags.append(("elderly", _("age %(age)s") % {"age": age}))
    if severity == "severe":
        flags.append(("severe_episode", _("severe episode")))
    # Recurrent: more than one episode (DSM-5 "recurrent" specifier).
    if episode_count and episode_count >= 2:
        flags.append(("recurrent", _("recurrent episodes")))
    if comorbidity:
        flags.append(("comorbidity", _("comorbidity")))
    if sleep_disorder:
        flags.append(("sleep", _("sleep disorder")))
    if eating_disorder:
        flags.append(("eating", _("eating disorder")))
    if substance_use in ("past", "current"):
        flags.append(("substance", _("substance use")))
    return flags


def peripartum_onset(
    onset: date | None,
    *,
    delivery_date: date | None,
    pregnancy_start: date | None,
    pregnant: bool,
) -> bool | None:
    """DSM-5 "with peripartum onset": onset during pregnancy or within 4 weeks after delivery
    [R80]. None when the dates needed are not recorded."""
    if onset is None:
        return None
    if delivery_date is not None:
        after = (onset - delivery_date).days
        if 0 <= after <= PERIPARTUM_DAYS:
            return True
        if after > PERIPARTUM_DAYS:
            return False
        # Onset before delivery: in pregnancy if after its start.
        if pregnancy_start is not None:
            return onset >= pregnancy_start
        return None
    if pregnant and pregnancy_start is not None:
        return onset >= pregnancy_start
    if pregnant:
        return None
    return False if pregnancy_start is None else None


def postpartum_weeks(delivery_date: date | None, today: date) -> int | None:
    if delivery_date is None or delivery_date > today:
        return None
    return (today - delivery_date) // timedelta(weeks=1)
