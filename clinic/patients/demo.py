"""Demo patients with varied, plausible histories at both sites (called by `load_demo`).

Idempotent: each demo patient has a fixed record number and is created only if missing.
Histories are built from a few clinical pictures (confirmed TRD, pseudo-resistance from an
inadequate dose or poor adherence, response, postpartum onset, contraindications, interacting
medicines, bipolar history, missing data), so every screen has something to show.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.formulary.models import Drug
from clinic.patients import services
from clinic.patients.models import Patient

# Family names that are the same for women and men.
FAMILY = ["Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Шевчук", "Поліщук", "Лисенко",
          "Мороз", "Савченко", "Гончаренко", "Марченко", "Руденко", "Кузьменко", "Павленко",
          "Клименко", "Левченко", "Гаврилюк", "Романюк", "Ковальчук", "Захарчук"]  # fmt: skip
WOMEN = ["Оксана", "Наталія", "Юлія", "Ганна", "Марʼяна", "Ірина", "Вікторія", "Олександра",
         "Христина", "Соломія"]  # fmt: skip
MEN = ["Андрій", "Тарас", "Олег", "Богдан", "Юрій", "Дмитро", "Максим", "Ігор", "Назар",
       "Василь"]  # fmt: skip

# Each picture: (name, sex, age, intake fields, trials, courses, medications, bp, decision)
# trials: (drug, mg/day, weeks, adherence, improvement %), ended in turn before today.
PICTURES = [
    (
        "trd_stage_2",
        None,
        44,
        {"severity": "severe", "episode_count": 3, "onset_months": 20},
        [
            ("sertraline", 150, 8, "good", 10),
            ("venlafaxine", 225, 10, "good", 15),
            ("mirtazapine", 30, 8, "good", 20),
        ],
        [("psychotherapy", "КПТ", 16)],
        [],
        (128, 82),
        True,
    ),
    (
        "trd_stage_3",
        None,
        52,
        {"severity": "severe", "episode_count": 4, "onset_months": 36, "sleep_disorder": True},
        [
            ("escitalopram", 20, 8, "good", 5),
            ("duloxetine", 90, 8, "good", 10),
            ("amitriptyline", 150, 8, "good", 15),
        ],
        [("augmentation", "lithium", 0)],
        [("lithium", 600)],
        (132, 84),
        True,
    ),
    (
        "pseudo_dose",
        "female",
        34,
        {"severity": "moderate", "episode_count": 1, "onset_months": 10},
        [("sertraline", 25, 10, "good", 10), ("escitalopram", 5, 8, "good", 5)],
        [],
        [],
        (118, 76),
        None,
    ),
    (
        "pseudo_adherence",
        "male",
        29,
        {
            "severity": "moderate",
            "episode_count": 2,
            "onset_months": 14,
            "substance_use": "past",
            "substance_details": "алкоголь",
        },
        [("fluoxetine", 40, 8, "poor", 5), ("venlafaxine", 150, 3, "partial", 0)],
        [],
        [],
        (126, 80),
        None,
    ),
    (
        "responder",
        None,
        38,
        {"severity": "moderate", "episode_count": 1, "onset_months": 6},
        [("sertraline", 100, 10, "good", 60)],
        [("psychotherapy", "КПТ", 12)],
        [],
        (115, 75),
        None,
    ),
    (
        "postpartum",
        "female",
        31,
        {
            "severity": "severe",
            "episode_count": 1,
            "onset_months": 5,
            "condition_postpartum": True,
            "postpartum": True,
            "breastfeeding": "exclusive",
        },
        [("sertraline", 100, 8, "good", 15), ("escitalopram", 20, 6, "good", 10)],
        [],
        [],
        (122, 78),
        None,
    ),
    (
        "hypertension",
        None,
        58,
        {
            "severity": "severe",
            "episode_count": 2,
            "onset_months": 26,
            "hypertension_treated": True,
            "physical_comorbidities": "Гіпертонічна хвороба II ст.",
        },
        [("paroxetine", 40, 8, "good", 10), ("duloxetine", 60, 10, "good", 5)],
        [],
        [("amlodipine", 10)],
        (186, 104),
        False,
    ),
    (
        "aneurysm",
        None,
        61,
        {"severity": "moderate", "episode_count": 3, "onset_months": 40, "aneurysm_or_avm": True},
        [
            ("citalopram", 40, 8, "good", 10),
            ("bupropion", 300, 8, "good", 20),
            ("nortriptyline", 100, 8, "good", 10),
        ],
        [],
        [],
        (138, 86),
        False,
    ),
    (
        "interactions",
        "female",
        47,
        {
            "severity": "severe",
            "episode_count": 5,
            "onset_months": 30,
            "mental_comorbidities": "Генералізований тривожний розлад",
            "condition_anxiety": True,
        },
        [("escitalopram", 20, 10, "good", 15), ("venlafaxine", 225, 8, "good", 20)],
        [],
        [("clonazepam", 2), ("lamotrigine", 100)],
        (124, 80),
        None,
    ),
    (
        "incomplete",
        None,
        40,
        {"severity": "", "episode_count": None, "onset_months": None},
        [("sertraline", None, 8, "unknown", None), ("moclobemide", 300, 8, "good", 10)],
        [],
        [],
        None,
        None,
    ),
    (
        "ptsd",
        "male",
        35,
        {
            "severity": "moderate",
            "episode_count": 1,
            "onset_months": 18,
            "condition_ptsd": True,
            "condition_trd": False,
            "sleep_disorder": True,
        },
        [("sertraline", 150, 12, "good", 30)],
        [("psychotherapy", "EMDR", 10), ("tdcs", "", 15)],
        [],
        (120, 78),
        None,
    ),
    (
        "bipolar",
        None,
        42,
        {"severity": "severe", "episode_count": 6, "onset_months": 8, "bipolar_history": True},
        [("sertraline", 100, 8, "good", 5), ("bupropion", 300, 8, "good", 10)],
        [],
        [("quetiapine", 300)],
        (130, 85),
        None,
    ),
    (
        "ect_maoi",
        None,
        66,
        {
            "severity": "severe",
            "psychotic_features": True,
            "episode_count": 4,
            "onset_months": 48,
            "psychosis_history": True,
        },
        [
            ("fluoxetine", 40, 8, "good", 0),
            ("venlafaxine", 300, 8, "good", 10),
            ("clomipramine", 150, 8, "good", 5),
            ("phenelzine", 60, 8, "good", 10),
        ],
        [("ect", "bilateral", 10), ("augmentation", "aripiprazole", 0)],
        [],
        (136, 88),
        True,
    ),
    (
        "pregnant",
        "female",
        29,
        {"severity": "moderate", "episode_count": 1, "onset_months": 4, "pregnant": True},
        [("sertraline", 100, 8, "good", 10), ("citalopram", 30, 8, "good", 5)],
        [],
        [],
        (112, 70),
        False,
    ),
]


def _picture_for(index):
    return PICTURES[index % len(PICTURES)]


def load_demo(*, actor, sites) -> None:
    """About 40 patients, 20 per site, each with the history of one clinical picture."""
    drugs = {d.code: d for d in Drug.objects.all()}
    today = timezone.localdate()
    for site_index, (code, site) in enumerate(sorted(sites.items())):
        physician = User.objects.filter(sites=site, groups__name=Role.PHYSICIAN).first() or actor
        therapist = User.objects.filter(sites=site, groups__name=Role.PSYCHOTHERAPIST).first()
        prefix = code[:1].upper()
        for n in range(20):
            number = f"{prefix}-{101 + n:04d}"
            if Patient.objects.filter(record_number=number).exists():
                continue
            index = n + site_index * 7
            _create(index, number, site, drugs, today, actor, physician, therapist)


def _create(index, number, site, drugs, today, actor, physician, therapist):
    key, sex, age, intake, trials, courses, medications, bp, decision = _picture_for(index)
    sex = sex or ("female" if index % 2 == 0 else "male")
    given = (WOMEN if sex == "female" else MEN)[index % 10]
    family = FAMILY[index % len(FAMILY)]
    birth = today.replace(year=today.year - age, day=1) - timedelta(days=37 * (index % 9))
    patient = services.register_patient(
        record_number=number,
        family_name=family,
        given_name=given,
        patronymic="",
        birth_date=birth,
        home_site=site,
        actor=actor,
        sex=sex,
        phone=f"+38067{5000000 + index * 7919 % 4999999:07d}",
        preferred_language="en" if index % 9 == 4 else "uk",
        physician=physician if physician.has_role(Role.PHYSICIAN) else None,
        psychotherapist=therapist,
        escort_name="Супровідник (демо)" if index % 3 else "",
        escort_phone="+380501112233" if index % 3 else "",
        escort_relation="родич" if index % 3 else "",
    )
    for purpose in ("treatment", "personal_data", "communications"):
        services.record_consent(
            patient,
            purpose=purpose,
            given=True,
            channel="paper",
            given_at=timezone.now() - timedelta(days=30),
            actor=actor,
        )
    months = intake.get("onset_months")
    onset = today - timedelta(days=int(30.5 * months)) if months is not None else None
    data = {k: v for k, v in intake.items() if k not in ("onset_months", "postpartum")}
    data.setdefault("condition_trd", key not in ("ptsd", "responder"))
    data["episode_onset"] = onset
    data["severity"] = data.get("severity") or ""
    if intake.get("postpartum"):
        data["delivery_date"] = onset - timedelta(days=14)
        data["pregnancy_start"] = data["delivery_date"] - timedelta(weeks=39)
        data["infant_birth_date"] = data["delivery_date"]
    if intake.get("pregnant"):
        data["pregnancy_start"] = today - timedelta(weeks=20)
    data["no_known_allergies"] = index % 4 != 1
    data["allergies"] = "пеніцилін" if index % 4 == 1 else ""
    services.record_intake(patient, data=data, actor=physician)
    # Trials end one after another, the last one a month ago.
    end = today - timedelta(days=30)
    for drug_code, dose, weeks, adherence, improvement in reversed(trials):
        start = end - timedelta(weeks=weeks)
        services.add_antidepressant_trial(
            patient,
            drug=drugs[drug_code],
            daily_dose_mg=Decimal(dose) if dose is not None else None,
            started_on=start,
            stopped_on=end,
            adherence=adherence,
            improvement_pct=improvement,
            stop_reason="ineffective" if (improvement or 0) < 50 else "remission",
            actor=physician,
        )
        end = start - timedelta(days=7)
    for kind, detail, sessions in courses:
        services.add_prior_treatment(
            patient,
            kind=kind,
            drug=drugs.get(detail) if kind == "augmentation" else None,
            modality=detail if kind in ("psychotherapy", "tdcs") else "",
            bilateral=detail == "bilateral",
            sessions=sessions or None,
            started_on=today - timedelta(days=200),
            stopped_on=today - timedelta(days=120),
            improvement_pct=10,
            actor=physician,
        )
    for drug_code, dose in medications:
        services.add_medication(
            patient,
            drug=drugs[drug_code],
            daily_dose_mg=Decimal(dose),
            started_on=today - timedelta(days=90),
            actor=physician,
        )
    services.record_weight(
        patient,
        weight_kg=Decimal(55 + (index * 13) % 40),
        height_cm=160 + (index * 7) % 30,
        measured_on=today - timedelta(days=index % 20),
        actor=physician,
    )
    if bp:
        services.record_blood_pressure(
            patient, systolic=bp[0], diastolic=bp[1], measured_on=today, actor=physician
        )
    if decision is not None and physician.has_role(Role.PHYSICIAN):
        services.decide_ketamine_eligibility(
            patient,
            is_eligible=decision,
            reasons="Демо: рішення за скринінгом" if decision else "Демо: протипоказання",
            override_reason="Демо: користь переважає ризик, посилений моніторинг"
            if decision and key == "ect_maoi"
            else "",
            actor=physician,
        )
    services.write_note(
        patient,
        kind="consultation",
        text="Демо: первинна консультація, зібрано анамнез лікування.",
        actor=physician,
    )
