import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from clinic.controlled_drugs import services as register
from clinic.core.models import AuditEvent
from clinic.courses.models import Course
from clinic.patients import services as patient_services
from clinic.treatment import links, services
from clinic.treatment.models import (
    Discharge,
    DoseOrder,
    InfusionSession,
    PreCheck,
    VitalAlert,
    VitalSigns,
)
from clinic.treatment.tests.factories import (
    account_for_ketamine,
    aldrete,
    ketamine_in_safe,
    make_chair,
    make_course,
    make_session,
    precheck_input,
    record,
    record_ketamine_consent,
    vitals,
)

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=KYIV)
Status = InfusionSession.Status


def statuses(session):
    return list(session.history.values_list("status", flat=True))


def test_a_whole_infusion_passes_every_status_and_keeps_the_history(
    course, chair, nurse, physician
):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
        assert session.status == Status.INFUSING
        clock.shift(timedelta(minutes=10))
        record(session, nurse)
        clock.shift(timedelta(minutes=30))
        services.end_infusion(session, actor=nurse)
        account_for_ketamine(session, nurse=nurse, witness=physician)
        clock.shift(timedelta(minutes=50))
        aldrete(session, nurse, total=10)
        session.refresh_from_db()
        assert session.status == Status.READY
        clock.shift(timedelta(minutes=31))
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )
    session.refresh_from_db()
    assert session.status == Status.DISCHARGED
    assert statuses(session) == [
        "scheduled",
        "checked_in",
        "prechecked",
        "infusing",
        "monitoring",
        "ready",
        "discharged",
    ]
    assert session.administered_mg == Decimal("35.0")  # 70 kg x 0.5 mg/kg
    discharge = Discharge.objects.get(session=session)
    assert discharge.observed_minutes == 121 and discharge.unmet == []
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "infusion.checked_in",
        "infusion.precheck.recorded",
        "infusion.dose.signed",
        "infusion.started",
        "infusion.vitals.recorded",
        "infusion.ended",
        "infusion.administration.recorded",
        "drugs.administration.recorded",
        "drugs.residue.destroyed",
        "infusion.score.recorded",
        "infusion.discharged",
    } <= actions


def test_discharge_is_refused_before_the_minimum_time_and_allowed_after(
    course, chair, nurse, physician
):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        aldrete(session, nurse, total=10)
        # The factory's infusion started 40 minutes before its end, now.
        clock.shift(timedelta(minutes=79))
        with pytest.raises(services.TreatmentRefused, match="119 of the minimum 120"):
            services.discharge_patient(
                session, escort_confirmed=True, instructions_given=True, actor=nurse
            )
        assert not Discharge.objects.exists()
        assert InfusionSession.objects.get(pk=session.pk).status == Status.READY
        clock.shift(timedelta(minutes=1))
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )
    assert InfusionSession.objects.get(pk=session.pk).status == Status.DISCHARGED


def test_it_refuses_discharge_with_a_low_score_or_without_escort_and_instructions(
    course, chair, nurse, physician
):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        aldrete(session, nurse, total=8)
        clock.shift(timedelta(hours=3))
        with pytest.raises(services.TreatmentRefused) as refusal:
            services.discharge_patient(
                session, escort_confirmed=False, instructions_given=False, actor=nurse
            )
    message = str(refusal.value)
    assert "score is 8" in message and "escort" in message and "instructions" in message
    assert not Discharge.objects.exists()


def test_a_nurse_cannot_override_but_a_physician_can_with_a_reason(course, chair, nurse, physician):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        aldrete(session, nurse, total=10)
        clock.shift(timedelta(minutes=60))
        with pytest.raises(services.TreatmentRefused, match="Only a physician"):
            services.discharge_patient(
                session,
                escort_confirmed=True,
                instructions_given=True,
                override_reason="Стабільна, поспішає",
                actor=nurse,
            )
        with pytest.raises(services.TreatmentRefused, match="Not yet"):
            services.discharge_patient(
                session, escort_confirmed=True, instructions_given=True, actor=physician
            )
        assert not Discharge.objects.exists()
        services.discharge_patient(
            session,
            escort_confirmed=True,
            instructions_given=True,
            override_reason="Стабільна, показники в нормі, супровід поруч",
            actor=physician,
        )
    discharge = Discharge.objects.get(session=session)
    assert discharge.unmet == ["min_time"]
    assert AuditEvent.objects.filter(action="infusion.discharged.override").count() == 1


def test_a_session_cannot_be_closed_while_its_ampoule_is_not_in_the_register(
    course, chair, nurse, physician
):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")
        aldrete(session, nurse)
        clock.shift(timedelta(hours=3))
        # Nothing in the register: the whole signed dose (70 kg x 0.5 mg/kg) is unaccounted.
        assert links.ampoule_unaccounted_mg(session) == Decimal("35.0")
        with pytest.raises(services.TreatmentRefused, match="not yet accounted"):
            services.discharge_patient(
                session,
                escort_confirmed=True,
                instructions_given=True,
                override_reason="any",
                actor=physician,
            )
        assert not Discharge.objects.exists()
        account_for_ketamine(session, nurse=nurse, witness=physician)
        assert links.ampoule_unaccounted_mg(session) == 0
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )
    assert InfusionSession.objects.get(pk=session.pk).status == Status.DISCHARGED


def test_an_administration_whose_residue_was_not_destroyed_keeps_the_session_open(
    course, chair, nurse, physician
):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")
        aldrete(session, nurse)
        # Entered in the register directly, without the residue's destruction.
        register.record_administration(
            lot=ketamine_in_safe(session.site).lot,
            patient=session.patient,
            drawn_mg=Decimal("100"),
            administered_mg=Decimal("35"),
            clinical_reference=session.public_id,
            actor=nurse,
        )
        clock.shift(timedelta(hours=3))
        assert links.ampoule_unaccounted_mg(session) == Decimal("65")
        with pytest.raises(services.TreatmentRefused, match="not yet accounted"):
            services.discharge_patient(
                session, escort_confirmed=True, instructions_given=True, actor=nurse
            )
    assert not Discharge.objects.exists()


def test_nothing_is_unaccounted_before_the_infusion_begins(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="dosed")
    assert links.ampoule_unaccounted_mg(session) == 0


def test_an_open_alert_blocks_discharge_even_with_an_override(course, chair, nurse, physician):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        record(session, nurse, systolic=190, diastolic=100)
        aldrete(session, nurse)
        clock.shift(timedelta(hours=3))
        with pytest.raises(services.TreatmentRefused, match="alert is still open"):
            services.discharge_patient(
                session,
                escort_confirmed=True,
                instructions_given=True,
                override_reason="x",
                actor=physician,
            )
        alert = VitalAlert.objects.get()
        services.resolve_alert(
            alert, action="treat", note="Каптоприл 25 мг, тиск 150/90", actor=physician
        )
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )


# Pre-check -----------------------------------------------------------------------------------


def test_blood_pressure_above_the_hard_threshold_blocks_and_writes_nothing(
    course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    with pytest.raises(services.TreatmentRefused, match="185/95 is above 180/100") as refusal:
        services.record_precheck(
            session, check=precheck_input(systolic=185, diastolic=95), actor=nurse
        )
    assert refusal.value.action == "infusion.precheck.blocked"
    assert not PreCheck.objects.exists()
    assert InfusionSession.objects.get(pk=session.pk).status == Status.CHECKED_IN


def test_blood_pressure_above_the_warning_waits_for_a_physician(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    services.record_precheck(session, check=precheck_input(systolic=150, diastolic=88), actor=nurse)
    session.refresh_from_db()
    assert session.status == Status.CHECKED_IN
    assert session.precheck.bp_decision == PreCheck.Decision.PENDING
    with pytest.raises(services.TreatmentRefused, match="Only a physician"):
        services.decide_on_blood_pressure(session, proceed=True, note="ok", actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="after the pre-check"):
        services.sign_dose(session, mg_per_kg=Decimal("0.5"), minutes=40, actor=physician)
    services.decide_on_blood_pressure(
        session, proceed=True, note="Після відпочинку 142/86, без скарг", actor=physician
    )
    session.refresh_from_db()
    assert session.status == Status.PRECHECKED


def test_a_deferred_infusion_is_aborted(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    services.record_precheck(session, check=precheck_input(systolic=160, diastolic=95), actor=nurse)
    services.decide_on_blood_pressure(
        session, proceed=False, note="Перенести, контроль у сімейного лікаря", actor=physician
    )
    assert InfusionSession.objects.get(pk=session.pk).status == Status.ABORTED


def test_it_refuses_a_weight_older_than_the_configured_days(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    old = session.checked_in_at.date() - timedelta(days=31)
    with pytest.raises(services.TreatmentRefused, match="within the last 30 days"):
        services.record_precheck(session, check=precheck_input(weight_measured_on=old), actor=nurse)
    assert not PreCheck.objects.exists()


def test_it_refuses_a_patient_who_has_not_fasted_per_policy(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    with pytest.raises(services.TreatmentRefused, match="4 hours"):
        services.record_precheck(session, check=precheck_input(fasting_hours=2), actor=nurse)
    assert not PreCheck.objects.exists()


# Dose ----------------------------------------------------------------------------------------


def test_the_dose_is_calculated_from_weight_and_signed_by_a_physician(
    course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    services.record_precheck(session, check=precheck_input(weight_kg=Decimal("82.4")), actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="Only a physician"):
        services.sign_dose(session, mg_per_kg=Decimal("0.5"), minutes=40, actor=nurse)
    order = services.sign_dose(session, mg_per_kg=Decimal("0.5"), minutes=40, actor=physician)
    # domain.md §3.3: 82.4 kg -> 41.2 mg. How it is made up is the nurse's preparation: the
    # physician is not asked for a concentration.
    assert order.dose_mg == Decimal("41.2")
    assert (order.concentration_mg_per_ml, order.volume_ml, order.rate_ml_per_h) == (None,) * 3
    assert order.signed_by == physician


def test_it_refuses_a_dose_above_the_maximum(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    services.record_precheck(session, check=precheck_input(weight_kg=Decimal("140")), actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="above the maximum of 100"):
        services.sign_dose(session, mg_per_kg=Decimal("0.75"), minutes=40, actor=physician)
    assert not DoseOrder.objects.exists()


def test_a_dose_change_during_the_infusion_needs_a_reason(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    # The pump is paused before a new dose is signed (test_pump.py).
    services.interrupt_session(session, cause="side_effect", reason="Дисоціація", actor=nurse)
    change = {
        "mg_per_kg": Decimal("0.40"),
        "minutes": 40,
        "actor": physician,
    }
    with pytest.raises(services.TreatmentRefused, match="needs a reason"):
        services.sign_dose(session, **change)
    assert DoseOrder.objects.count() == 1
    order = services.sign_dose(session, **change, reason="Виражена дисоціація")
    assert order.replaces is not None and order.dose_mg == Decimal("28.0")
    assert services.current_dose(session) == order


def test_the_infusion_cannot_start_without_a_signed_dose(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="prechecked")
    with pytest.raises(services.TreatmentRefused, match="not been signed"):
        services.start_infusion(session, actor=nurse)
    assert InfusionSession.objects.get(pk=session.pk).infusion_started_at is None


# Monitoring ----------------------------------------------------------------------------------


def test_the_same_idempotency_key_records_one_reading(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    key = uuid.uuid4()
    first, created = services.record_vitals(
        session, reading=vitals(), idempotency_key=key, actor=nurse
    )
    again, created_again = services.record_vitals(
        session, reading=vitals(systolic=150), idempotency_key=key, actor=nurse
    )
    assert created and not created_again and again.pk == first.pk
    assert VitalSigns.objects.count() == 1 and VitalSigns.objects.get().systolic == 130


def test_an_out_of_range_reading_raises_an_alert_that_needs_action_and_note(
    course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, systolic=188, diastolic=112, spo2=91)
    kinds = set(VitalAlert.objects.values_list("kind", flat=True))
    assert kinds == {"systolic_high", "diastolic_high", "spo2_low"}
    alert = VitalAlert.objects.get(kind="systolic_high")
    with pytest.raises(services.TreatmentRefused):
        services.resolve_alert(alert, action="slow", note="  ", actor=nurse)
    with pytest.raises(services.TreatmentRefused):
        services.resolve_alert(alert, action="dance", note="note", actor=nurse)
    assert VitalAlert.objects.get(pk=alert.pk).closed_at is None
    services.resolve_alert(alert, action="slow", note="Швидкість 50%, повтор за 5 хв", actor=nurse)
    alert.refresh_from_db()
    assert alert.action == "slow" and alert.closed_by == nurse


def test_the_database_refuses_a_closed_alert_without_action(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, systolic=190)
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalAlert.objects.update(closed_at=session.infusion_started_at)


@pytest.mark.parametrize(
    "field,value",
    [
        ("systolic", 301),
        ("systolic", 49),
        ("diastolic", 201),
        ("heart_rate", 19),
        ("spo2", 101),
        ("resp_rate", 3),
    ],
)
def test_the_database_refuses_impossible_vital_signs(course, chair, nurse, physician, field, value):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    row = {
        "systolic": 120,
        "diastolic": 80,
        "heart_rate": 70,
        "spo2": 98,
        "resp_rate": 14,
        field: value,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalSigns.objects.create(
            session=session,
            measured_at=session.infusion_started_at,
            phase="infusing",
            idempotency_key=uuid.uuid4(),
            recorded_by=nurse,
            **row,
        )


def test_it_refuses_systolic_not_above_diastolic_and_future_or_early_times(
    course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    with pytest.raises(services.TreatmentRefused, match="higher than diastolic"):
        record(session, nurse, systolic=90, diastolic=90)
    with pytest.raises(services.TreatmentRefused, match="future"):
        record(session, nurse, at=session.infusion_started_at + timedelta(hours=1))
    with pytest.raises(services.TreatmentRefused, match="before the start of the infusion"):
        record(session, nurse, at=session.infusion_started_at - timedelta(minutes=5))
    assert not VitalSigns.objects.exists()


def test_readings_after_the_end_of_the_infusion_count_as_after(course, chair, nurse, physician):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician)
        clock.shift(timedelta(minutes=10))
        record(session, nurse)
        clock.shift(timedelta(minutes=30))
        services.end_infusion(session, actor=nurse)
        clock.shift(timedelta(minutes=15))
        record(session, nurse)
    assert list(VitalSigns.objects.values_list("phase", flat=True)) == ["infusing", "after"]


def test_an_interruption_resumes_where_it_stopped(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")
    services.interrupt_session(session, reason="Повітряна тривога, укриття", actor=nurse)
    assert InfusionSession.objects.get(pk=session.pk).status == Status.INTERRUPTED
    services.resume_session(session, actor=nurse)
    assert InfusionSession.objects.get(pk=session.pk).status == Status.MONITORING


def test_stopping_mid_infusion_records_the_amount_the_pump_gave(course, chair, nurse, physician):
    with time_machine.travel(MORNING, tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
        clock.shift(timedelta(minutes=20))  # half of 35 mg over 40 minutes
        # An entered amount further from the pump's than the syringe's step (0.5 mg) is refused.
        with pytest.raises(services.TreatmentRefused, match="the pump's record .* 17.5 mg"):
            services.stop_session(
                session, reason="Блювання", administered_mg=Decimal("20"), actor=nurse
            )
        assert InfusionSession.objects.get(pk=session.pk).status == Status.INFUSING
        services.stop_session(session, reason="Блювання", actor=nurse)
    session.refresh_from_db()
    assert session.status == Status.STOPPED and session.administered_mg == Decimal("17.5")


def test_a_chair_takes_one_patient_and_a_patient_one_chair(
    course, chair, kyiv, nurse, physician, patient
):
    from clinic.conftest import make_patient

    make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    other = make_course(make_patient(kyiv, "K-0200"), physician)
    with pytest.raises(services.TreatmentRefused, match="taken"):
        services.open_infusion_session(other, chair=chair, actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="already has a session"):
        services.open_infusion_session(course, chair=make_chair(kyiv, "Крісло 2"), actor=nurse)
    assert InfusionSession.objects.count() == 1


def test_a_chair_of_another_site_is_refused(course, lviv, nurse):
    with pytest.raises(services.TreatmentRefused, match="chair of this site"):
        services.open_infusion_session(course, chair=make_chair(lviv), actor=nurse)
    assert not InfusionSession.objects.exists()


# Courses -------------------------------------------------------------------------------------


COURSE = {"modality": "iv_ketamine", "indication": "ТРД", "planned_sessions": 6}


def test_a_ketamine_course_without_eligibility_on_file_needs_explicit_confirmation(
    patient, physician, nurse
):
    record_ketamine_consent(patient, physician)
    with pytest.raises(services.TreatmentRefused, match="No eligibility decision"):
        services.approve_course(patient, **COURSE, actor=physician)
    with pytest.raises(services.TreatmentRefused, match="Only a physician"):
        services.approve_course(patient, **COURSE, eligibility_confirmed=True, actor=nurse)
    assert not Course.objects.exists()
    course = services.approve_course(patient, **COURSE, eligibility_confirmed=True, actor=physician)
    assert course.eligibility_confirmed_by_physician and course.eligibility_reference == ""
    assert course.ketamine_consent_confirmed
    assert course.target_dose_mg_per_kg == Decimal("0.50") and course.infusion_minutes == 40
    assert AuditEvent.objects.filter(
        action="course.eligibility.confirmed_without_decision", patient=patient
    ).exists()


def test_it_refuses_a_ketamine_course_without_the_consent_on_the_chart(patient, physician):
    with pytest.raises(services.TreatmentRefused, match="No ketamine-therapy consent"):
        services.approve_course(patient, **COURSE, eligibility_confirmed=True, actor=physician)
    assert not Course.objects.exists()


def test_a_withdrawn_consent_no_longer_allows_a_course(patient, physician):
    consent = record_ketamine_consent(patient, physician)
    patient_services.withdraw_consent(consent, note="передумала", actor=physician)
    with pytest.raises(services.TreatmentRefused, match="No ketamine-therapy consent"):
        services.approve_course(patient, **COURSE, eligibility_confirmed=True, actor=physician)
    assert not Course.objects.exists()


def test_a_not_eligible_decision_refuses_the_course_naming_its_date_and_physician(
    patient, physician
):
    record_ketamine_consent(patient, physician)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=KYIV), tick=False):
        patient_services.decide_ketamine_eligibility(
            patient, is_eligible=False, reasons="неконтрольована гіпертензія", actor=physician
        )
    later = time_machine.travel(datetime(2026, 3, 9, 10, 0, tzinfo=KYIV), tick=False)
    with later, pytest.raises(services.TreatmentRefused) as refusal:
        services.approve_course(patient, **COURSE, eligibility_confirmed=True, actor=physician)
    assert "not eligible" in str(refusal.value)
    assert "March 2, 2026" in str(refusal.value)
    assert str(physician) in str(refusal.value)
    assert not Course.objects.exists()


def test_an_eligible_decision_is_referenced_on_the_course(patient, physician):
    record_ketamine_consent(patient, physician)
    decision = patient_services.decide_ketamine_eligibility(
        patient, is_eligible=True, reasons="скринінг без протипоказань", actor=physician
    )
    course = services.approve_course(patient, **COURSE, actor=physician)
    assert course.eligibility_reference == str(decision.public_id)
    assert not course.eligibility_confirmed_by_physician
    assert not AuditEvent.objects.filter(
        action="course.eligibility.confirmed_without_decision"
    ).exists()


def test_a_newer_eligible_decision_supersedes_a_refusal(patient, physician):
    record_ketamine_consent(patient, physician)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=KYIV), tick=False):
        patient_services.decide_ketamine_eligibility(
            patient, is_eligible=False, reasons="гіпертензія", actor=physician
        )
    with time_machine.travel(datetime(2026, 3, 20, 10, 0, tzinfo=KYIV), tick=False):
        newer = patient_services.decide_ketamine_eligibility(
            patient, is_eligible=True, reasons="тиск контрольований", actor=physician
        )
        course = services.approve_course(patient, **COURSE, actor=physician)
    assert course.eligibility_reference == str(newer.public_id)


def test_a_tes_course_needs_neither_consent_nor_eligibility(patient, physician):
    course = services.approve_course(
        patient, modality="tes", indication="Тривога", planned_sessions=10, actor=physician
    )
    assert not course.ketamine_consent_confirmed and course.target_dose_mg_per_kg is None


def test_progress_counts_discharged_sessions_and_their_dose(course, kyiv, nurse, physician):
    from clinic.treatment.selectors import courses_with_progress, cumulative_mg

    chair = make_chair(kyiv)
    with time_machine.travel(MORNING, tick=False) as clock:
        for _day in range(2):
            session = make_session(
                course, chair, nurse=nurse, physician=physician, stage="accounted"
            )
            aldrete(session, nurse)
            clock.shift(timedelta(hours=3))
            services.discharge_patient(
                session, escort_confirmed=True, instructions_given=True, actor=nurse
            )
            clock.shift(timedelta(days=2))
    annotated = courses_with_progress(type(course).objects.filter(pk=course.pk)).get()
    assert annotated.infusions_done == 2
    assert annotated.cumulative_mg == Decimal("70.0") == cumulative_mg(course)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_reading_sent_ten_times_at_once_is_recorded_once(kyiv, users):
    """security.md §5.3 / C4: the same key sent concurrently gives one row.

    PostgreSQL only: the SQLite test database is in memory with a shared cache, where
    threads meet table locks instead of waiting (a file database with IMMEDIATE
    transactions serialises writers, stack.md)."""
    import threading

    from django.db import connection

    from clinic.conftest import make_patient

    nurse = users[("nurse", "kyiv")]
    physician = users[("physician", "kyiv")]
    course = make_course(make_patient(kyiv, "K-0900"), physician)
    session = make_session(course, make_chair(kyiv), nurse=nurse, physician=physician)
    key = uuid.uuid4()
    results, errors = [], []

    def send():
        try:
            reading, created = services.record_vitals(
                session, reading=vitals(), idempotency_key=key, actor=nurse
            )
            results.append((reading.pk, created))
        except Exception as error:  # noqa: BLE001  (collected and asserted below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert VitalSigns.objects.filter(idempotency_key=key).count() == 1
    assert len({pk for pk, _created in results}) == 1
    assert sorted(created for _pk, created in results) == [False] * 9 + [True]


def test_a_session_ended_before_the_infusion_is_aborted_from_the_page(
    client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="prechecked")
    client.force_login(nurse)
    client.post(
        f"/staff/treatment/infusions/{session.public_id}/stop/",
        {"reason": "Пацієнтка передумала"},
    )
    session.refresh_from_db()
    assert session.status == Status.ABORTED and session.infusion_started_at is None


def test_the_infusion_cannot_be_started_twice(course, chair, nurse, physician):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    started = session.infusion_started_at
    services.interrupt_session(session, reason="Знеструмлення", actor=nurse)
    with pytest.raises(services.TreatmentRefused, match="starts once"):
        services.start_infusion(session, actor=nurse)
    services.resume_session(session, actor=nurse)
    session.refresh_from_db()
    assert session.infusion_started_at == started and session.status == Status.INFUSING
