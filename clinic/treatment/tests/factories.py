"""Plain helpers that walk a session through the services, as staff would."""

import contextlib
import uuid
from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from clinic.courses.models import Modality
from clinic.locations.models import Room
from clinic.patients import selectors as record_selectors
from clinic.patients import services as patient_services
from clinic.patients.models import ConsentPurpose
from clinic.treatment import services
from clinic.treatment.models import PreCheck


def make_chair(site, name="Крісло 1", kind=Room.Kind.INFUSION_CHAIR):
    return Room.objects.create(site=site, name=name, kind=kind)


def record_ketamine_consent(patient, actor):
    """The signed ketamine-therapy consent on the chart, as reception records it."""
    return patient_services.record_consent(
        patient,
        purpose=ConsentPurpose.KETAMINE,
        given=True,
        channel="paper",
        given_at=timezone.now(),
        actor=actor,
    )


def make_course(patient, physician, **overrides):
    if not record_selectors.has_consent(patient, ConsentPurpose.KETAMINE):
        record_ketamine_consent(patient, physician)
    fields = {
        "modality": Modality.IV_KETAMINE,
        "indication": "Резистентна депресія",
        "planned_sessions": 6,
        "eligibility_confirmed": True,
    }
    fields.update(overrides)
    return services.approve_course(patient, **fields, actor=physician)


def precheck_input(**overrides):
    fields = {
        "weight_kg": Decimal("70.0"),
        "weight_measured_on": timezone.localdate(),
        "systolic": 128,
        "diastolic": 82,
        "heart_rate": 72,
        "spo2": 98,
        "resp_rate": 14,
        "fasting_hours": 6,
        "escort_name": "Петро Коваленко",
        "escort_phone": "+380671112233",
        "escort_relation": "чоловік",
        "pregnancy": PreCheck.Pregnancy.TEST_NEGATIVE,
        "breastfeeding": PreCheck.Breastfeeding.NO,
        "advice_given": "",
    }
    fields.update(overrides)
    return services.PreCheckInput(**fields)


def vitals(at=None, **overrides):
    fields = {
        "measured_at": at or timezone.now(),
        "systolic": 130,
        "diastolic": 84,
        "heart_rate": 76,
        "spo2": 98,
        "resp_rate": 14,
    }
    fields.update(overrides)
    return services.VitalsInput(**fields)


STAGES = ("checked_in", "prechecked", "dosed", "prepared", "infusing", "monitoring", "accounted")


def ketamine_in_safe(site, units=5):
    """A lot of ketamine (100 mg ampoules) received into a safe of the site; its holding."""
    from clinic.accounts.models import User
    from clinic.accounts.roles import Role
    from clinic.controlled_drugs.models import Drug, Holding, Safe
    from clinic.controlled_drugs.tests.factories import make_drug, make_safe, receive

    holding = Holding.objects.filter(safe__site=site, balance_mg__gt=0).first()
    if holding is not None:
        return holding
    officer = User.objects.filter(groups__name=Role.DRUG_OFFICER, sites=site).first()
    drug = Drug.objects.filter(code="ketamine-50").first() or make_drug()
    safe = Safe.objects.filter(site=site).first() or make_safe(site)
    return receive(officer, safe, drug, units=units, batch=f"KT-{site.code}").holding


def account_for_ketamine(session, *, nurse, witness, drawn_mg=Decimal("100")):
    """The session's ampoule in the register: drawn, given, the residue destroyed."""
    return services.record_ketamine_administration(
        session,
        holding=ketamine_in_safe(session.site),
        drawn_mg=drawn_mg,
        witness=witness,
        actor=nurse,
    )


def prepare_dose(session, *, nurse, method="diluted_bag", final_volume_ml=Decimal("100")):
    """The current dose made up from the site's ketamine (50 mg/ml) by the nurse."""
    return services.record_dose_preparation(
        session,
        prepared=services.PreparationInput(
            holding=ketamine_in_safe(session.site),
            method=method,
            final_volume_ml=final_volume_ml,
        ),
        actor=nurse,
    )


def prepare_and_check(session, *, nurse, checker):
    """The current dose prepared by the nurse and double-checked by `checker`."""
    prepared = prepare_dose(session, nurse=nurse)
    return services.check_dose_preparation(
        session,
        drug_volume_ml=prepared.drug_volume_ml,
        rate_ml_per_h=prepared.rate_ml_per_h,
        actor=checker,
    )


def make_session(course, chair, *, nurse, physician, stage="infusing"):
    """A session on a chair, advanced to `stage` through the services.

    From "monitoring" on, the pump ran the signed 40 minutes: everything up to the start
    happens 40 minutes ago, and the infusion ends now with the whole prepared dose given.
    """
    target = STAGES.index(stage)
    began = timezone.now() - timedelta(minutes=40) if target >= 5 else None
    with time_machine.travel(began, tick=False) if began else contextlib.nullcontext():
        session = services.open_infusion_session(course, chair=chair, actor=nurse)
        if target >= 1:
            services.record_precheck(session, check=precheck_input(), actor=nurse)
        if target >= 2:
            services.sign_dose(session, mg_per_kg=Decimal("0.50"), minutes=40, actor=physician)
        if target >= 3:
            prepare_and_check(session, nurse=nurse, checker=physician)
        if target >= 4:
            services.start_infusion(session, actor=nurse)
    if target >= 5:
        services.end_infusion(session, actor=nurse)
    if target >= 6:
        account_for_ketamine(session, nurse=nurse, witness=physician)
    session.refresh_from_db()
    return session


def record(session, nurse, **overrides):
    return services.record_vitals(
        session, reading=vitals(**overrides), idempotency_key=uuid.uuid4(), actor=nurse
    )


def aldrete(session, nurse, total=10):
    """A modified Aldrete rating with the given total (option position = score, 0-2)."""
    answers = [2] * 5
    for n in range(10 - total):
        answers[n] = 1
    return services.record_score(
        session, code="aldrete", point="discharge", answers=answers, actor=nurse
    )


def minutes(n):
    return timedelta(minutes=n)


def make_visit(patient, *, code, practitioner, room=None, starts_at=None, status="booked"):
    """A scheduled visit written directly (the booking rules are scheduling's own tests)."""
    from clinic.scheduling.models import Appointment, VisitType

    kinds = {"ketamine_infusion": Room.Kind.INFUSION_CHAIR, "tes_session": Room.Kind.TES}
    visit_type, _ = VisitType.objects.get_or_create(
        code=code,
        defaults={"name": code, "duration_minutes": 60, "room_kind": kinds.get(code, "")},
    )
    starts_at = starts_at or timezone.now()
    return Appointment.objects.create(
        patient=patient,
        visit_type=visit_type,
        site=patient.home_site,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
        blocked_from=starts_at,
        blocked_until=starts_at + timedelta(minutes=60),
        practitioner=practitioner,
        room=room,
        status=status,
        created_by=practitioner,
    )
