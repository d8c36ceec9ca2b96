from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.core import records
from clinic.core.models import AuditEvent, NoteAddendum
from clinic.patients import selectors, services
from clinic.patients.models import (
    AntidepressantTrial,
    Consent,
    EligibilityDecision,
    Intake,
    Patient,
    PrivacyRequest,
)
from clinic.patients.services import RecordRefused
from clinic.patients.tests.factories import drug, make_intake, make_registered, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def patient(kyiv):
    return make_registered(kyiv)


def test_registration_transliterates_the_name_and_indexes_it(patient):
    assert (patient.family_name_latin, patient.given_name_latin) == ("Kovalenko", "Olena")
    assert Patient.objects.matching("kovalenko").get() == patient
    assert AuditEvent.objects.filter(action="patient.registered", patient=patient).exists()


def test_rectification_rewrites_search_terms_and_names_the_changed_fields(patient, physician):
    services.update_patient_details(
        patient, changes={"family_name": "Шевченко", "phone": "+380671234567"}, actor=physician
    )
    patient.refresh_from_db()
    assert patient.family_name_latin == "Shevchenko"
    assert not Patient.objects.matching("Коваленко").exists()
    assert Patient.objects.matching("Шевченко").get() == patient
    assert Patient.objects.matching("067 123 45 67").get() == patient
    event = AuditEvent.objects.get(action="patient.details.changed")
    assert event.reason == "family_name, phone"


def test_a_consent_records_the_wording_version_and_can_be_withdrawn(patient, physician):
    consent = services.record_consent(
        patient,
        purpose="ketamine",
        given=True,
        channel="paper",
        given_at=timezone.now(),
        actor=physician,
    )
    assert consent.wording.version == 1 and selectors.has_consent(patient, "ketamine")
    services.withdraw_consent(consent, note="передумала", actor=physician)
    assert not selectors.has_consent(patient, "ketamine")
    consent.refresh_from_db()
    assert consent.withdrawn_by == physician and consent.given


def test_a_new_wording_version_applies_to_new_consents_only(patient, physician):
    first = services.record_consent(
        patient,
        purpose="research",
        given=True,
        channel="paper",
        given_at=timezone.now(),
        actor=physician,
    )
    services.publish_consent_wording(
        purpose="research", text_uk="Нова", text_en="New", actor=physician
    )
    second = services.record_consent(
        patient,
        purpose="research",
        given=True,
        channel="paper",
        given_at=timezone.now(),
        actor=physician,
    )
    first.refresh_from_db()
    assert (first.wording.version, second.wording.version) == (1, 2)


def test_it_refuses_a_consent_dated_in_the_future_and_writes_nothing(patient, physician):
    with pytest.raises(RecordRefused):
        services.record_consent(
            patient,
            purpose="treatment",
            given=True,
            channel="paper",
            given_at=timezone.now() + timedelta(days=1),
            actor=physician,
        )
    assert not Consent.objects.exists()


def test_it_refuses_the_same_consent_twice_while_in_force_and_writes_nothing(patient, physician):
    def record():
        return services.record_consent(
            patient,
            purpose="ketamine",
            given=True,
            channel="paper",
            given_at=timezone.now(),
            actor=physician,
        )

    first = record()
    audited = AuditEvent.objects.count()
    with pytest.raises(RecordRefused) as refusal:
        record()
    assert refusal.value.code == "patient.consent.duplicate"
    assert list(Consent.objects.all()) == [first]
    assert AuditEvent.objects.count() == audited
    # Once withdrawn, the patient may consent again.
    services.withdraw_consent(first, actor=physician)
    assert record().in_force


def test_the_intake_keeps_every_version(patient, physician):
    make_intake(patient, severity="mild")
    make_intake(patient, severity="severe")
    assert Intake.objects.filter(patient=patient).count() == 2
    assert selectors.current_intake(patient).severity == "severe"


def test_it_refuses_an_episode_starting_before_birth(patient, physician):
    with pytest.raises(RecordRefused):
        make_intake(patient, episode_onset=date(1980, 1, 1))
    assert not Intake.objects.exists()


def test_it_refuses_a_trial_of_a_drug_that_is_not_an_antidepressant(patient, physician):
    with pytest.raises(RecordRefused):
        services.add_antidepressant_trial(
            patient, drug=drug("diazepam"), daily_dose_mg=Decimal(10), actor=physician
        )
    assert not AntidepressantTrial.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.trial.added").exists()


def test_it_refuses_a_trial_that_stops_before_it_starts(patient, physician):
    with pytest.raises(RecordRefused):
        services.add_antidepressant_trial(
            patient,
            drug=drug("sertraline"),
            started_on=date(2025, 5, 1),
            stopped_on=date(2025, 4, 1),
            actor=physician,
        )
    assert not AntidepressantTrial.objects.exists()


def test_a_struck_out_trial_no_longer_counts_but_stays(patient, physician):
    make_intake(patient)
    trial = make_trial(patient)
    make_trial(patient, "venlafaxine", dose=150)
    assert selectors.trd_picture(patient).status.value == "yes"
    records.strike_out(trial, reason="інший пацієнт", actor=physician)
    selectors.forget(patient)
    assert selectors.trd_picture(patient).status.value == "no"
    trial.refresh_from_db()
    assert trial.entered_in_error and trial.strike_out_reason == "інший пацієнт"
    assert trial.struck_out_by == physician and trial.struck_out_at is not None


def test_a_treatment_of_the_history_strikes_out_like_any_record(patient, physician):
    ect = services.add_prior_treatment(patient, kind="ect", sessions=8, actor=physician)
    assert selectors.prior_treatments_of(patient) == [ect]
    records.strike_out(ect, reason="інший пацієнт", actor=physician)
    selectors.forget(patient)
    assert selectors.prior_treatments_of(patient) == []
    ect.refresh_from_db()
    assert ect.entered_in_error and ect.struck_out_by == physician
    assert AuditEvent.objects.filter(action=records.STRUCK_OUT, patient=patient).count() == 1


def test_striking_out_needs_a_reason(patient, physician):
    trial = make_trial(patient)
    with pytest.raises(records.StrikeOutRefused):
        records.strike_out(trial, reason="  ", actor=physician)
    trial.refresh_from_db()
    assert not trial.entered_in_error


def test_latest_weight_is_the_newest_valid_measurement(patient, physician):
    assert selectors.latest_weight(patient) is None
    today = timezone.localdate()
    services.record_weight(
        patient, weight_kg=Decimal("70.5"), measured_on=today - timedelta(5), actor=physician
    )
    wrong = services.record_weight(
        patient, weight_kg=Decimal("27"), measured_on=today, actor=physician
    )
    records.strike_out(wrong, reason="кома", actor=physician)
    assert selectors.latest_weight(patient) == (Decimal("70.5"), today - timedelta(5))


@pytest.mark.parametrize(
    "values",
    [{"weight_kg": Decimal("7")}, {"weight_kg": Decimal("70"), "height_cm": 400}],
)
def test_it_refuses_an_impossible_weight_or_height(patient, physician, values):
    with pytest.raises(RecordRefused):
        services.record_weight(patient, measured_on=timezone.localdate(), actor=physician, **values)
    assert not patient.measurements.exists()


def test_blood_pressure_must_have_systolic_above_diastolic(patient, physician):
    with pytest.raises(RecordRefused):
        services.record_blood_pressure(
            patient, systolic=80, diastolic=90, measured_on=timezone.localdate(), actor=physician
        )
    assert not patient.blood_pressures.exists()


def test_medication_changes_list_starts_and_stops_in_order(patient, physician):
    make_trial(patient, "sertraline", started_on=date(2025, 1, 10), stopped_on=date(2025, 3, 10))
    services.add_medication(
        patient, drug=drug("diazepam"), started_on=date(2025, 2, 1), actor=physician
    )
    labels = selectors.medication_changes(patient)
    assert [d for d, _label in labels] == [date(2025, 1, 10), date(2025, 2, 1), date(2025, 3, 10)]
    assert "Сертралін" in labels[0][1] and "Діазепам" in labels[1][1]


# Ketamine eligibility ---------------------------------------------------------------------


def test_uncontrolled_hypertension_is_a_contraindication_and_overriding_it_needs_a_reason(
    patient, physician
):
    make_intake(patient)
    services.record_blood_pressure(
        patient, systolic=190, diastolic=105, measured_on=timezone.localdate(), actor=physician
    )
    findings = selectors.ketamine_screen(patient)
    assert findings[0].code == "uncontrolled_hypertension"
    with pytest.raises(RecordRefused):
        services.decide_ketamine_eligibility(patient, is_eligible=True, reasons="", actor=physician)
    assert not EligibilityDecision.objects.exists()
    decision = services.decide_ketamine_eligibility(
        patient, is_eligible=False, reasons="Неконтрольована гіпертензія", actor=physician
    )
    selectors.forget(patient)
    current = selectors.current_ketamine_eligibility(patient)
    assert current == decision and not current.is_eligible
    assert current.findings[0] == "uncontrolled_hypertension"
    assert current.decided_by == physician and current.decided_at
    assert AuditEvent.objects.filter(action="patient.eligibility.decided").count() == 1


def test_an_override_is_kept_with_the_decision(patient, physician):
    make_intake(patient, psychosis_history=True, coronary_disease=True)
    decision = services.decide_ketamine_eligibility(
        patient,
        is_eligible=True,
        reasons="",
        override_reason="Кардіолог дозволив, моніторинг ЕКГ",
        actor=physician,
    )
    assert decision.override_reason.startswith("Кардіолог")
    assert "override" in AuditEvent.objects.get(action="patient.eligibility.decided").reason


def test_interacting_current_medicines_reach_the_screen(patient, physician):
    make_intake(patient)
    services.add_medication(patient, drug=drug("lamotrigine"), actor=physician)
    services.add_medication(
        patient,
        drug=drug("alprazolam"),
        started_on=date(2024, 1, 1),
        stopped_on=date(2024, 6, 1),
        actor=physician,
    )
    make_trial(patient, "phenelzine", dose=45, stopped_on=None, stop_reason="")
    codes = {f.code for f in selectors.ketamine_screen(patient)}
    assert {"interaction:lamotrigine", "interaction:maoi"} <= codes
    assert "interaction:benzodiazepine" not in codes


def test_an_inducer_during_a_failed_trial_suggests_pseudo_resistance(patient, physician):
    make_intake(patient)
    trial = make_trial(patient)
    services.add_medication(
        patient, drug=drug("carbamazepine"), started_on=trial.started_on, actor=physician
    )
    picture = selectors.trd_picture(patient)
    assert picture.pseudo.possible
    assert "Карбамазепін" in picture.pseudo.causes[0]


# Notes ------------------------------------------------------------------------------------


def test_a_signed_note_is_locked_and_takes_addenda(patient, physician, users):
    note = services.write_note(patient, kind="consultation", text="Чернетка", actor=physician)
    records.edit_note(note, text="Остаточно", actor=physician)
    records.sign_note(note, actor=physician)
    with pytest.raises(records.NoteRefused):
        records.edit_note(note, text="Змінено", actor=physician)
    records.add_addendum(note, text="Уточнення дози", actor=physician)
    note.refresh_from_db()
    assert note.text == "Остаточно" and note.is_signed and note.signed_by == physician
    assert note.addenda.count() == 1


def test_only_the_author_edits_or_signs_a_note(patient, physician, users):
    note = services.write_note(patient, kind="consultation", text="Моя", actor=physician)
    other = users[(Role.PHYSICIAN, "lviv")]
    for action in (
        lambda: records.edit_note(note, text="Чужа", actor=other),
        lambda: records.sign_note(note, actor=other),
    ):
        with pytest.raises(records.NoteRefused):
            action()
    note.refresh_from_db()
    assert note.text == "Моя" and not note.is_signed


def test_addenda_are_for_signed_notes_only(patient, physician):
    note = services.write_note(patient, kind="consultation", text="x", actor=physician)
    with pytest.raises(records.NoteRefused):
        records.add_addendum(note, text="y", actor=physician)
    assert not NoteAddendum.objects.exists()


# Privacy ----------------------------------------------------------------------------------


@time_machine.travel("2026-12-01 12:00 +02:00")
def test_a_request_is_due_in_30_calendar_days(patient, physician):
    request = services.receive_privacy_request(
        patient, kind="access", received_on=date(2026, 12, 1), actor=physician
    )
    assert request.due_on == date(2026, 12, 31)


def test_erasure_of_a_record_with_medical_content_is_refused_and_recorded(patient, physician):
    make_intake(patient)
    services.record_consent(
        patient,
        purpose="communications",
        given=True,
        channel="paper",
        given_at=timezone.now(),
        actor=physician,
    )
    request = services.receive_privacy_request(
        patient, kind="erasure", received_on=timezone.localdate(), actor=physician
    )
    result = services.process_erasure_request(request, actor=physician)
    patient.refresh_from_db()
    assert result.status == PrivacyRequest.Status.REFUSED
    assert "первинний огляд" in result.outcome or "intake" in result.outcome
    assert patient.family_name == "Коваленко" and patient.erased_at is None
    assert not selectors.has_consent(patient, "communications")


def test_erasure_of_a_record_without_medical_content_pseudonymises_it(patient, physician):
    services.update_patient_details(patient, changes={"phone": "+380671234567"}, actor=physician)
    request = services.receive_privacy_request(
        patient, kind="erasure", received_on=timezone.localdate(), actor=physician
    )
    result = services.process_erasure_request(request, actor=physician)
    patient.refresh_from_db()
    assert result.status == PrivacyRequest.Status.COMPLETED
    assert patient.family_name.startswith("erased-") and not patient.phone
    assert patient.erased_at is not None
    assert not Patient.objects.matching("Коваленко").exists()
    assert not Patient.objects.matching("067 123 45 67").exists()
    with pytest.raises(RecordRefused):
        services.update_patient_details(patient, changes={"family_name": "Знову"}, actor=physician)


def test_an_answered_request_cannot_be_answered_again(patient, physician):
    request = services.receive_privacy_request(
        patient, kind="access", received_on=timezone.localdate(), actor=physician
    )
    services.complete_privacy_request(request, outcome="Копію видано", actor=physician)
    with pytest.raises(RecordRefused):
        services.complete_privacy_request(request, outcome="Ще раз", actor=physician)
    request.refresh_from_db()
    assert request.outcome == "Копію видано"


def test_the_screen_judges_blood_pressure_by_the_home_sites_thresholds(patient, physician):
    from clinic.treatment.models import TreatmentSettings

    make_intake(patient)
    services.record_blood_pressure(
        patient, systolic=165, diastolic=85, measured_on=timezone.localdate(), actor=physician
    )
    assert selectors.ketamine_screen(patient)[0].code == "elevated_blood_pressure"

    TreatmentSettings.objects.create(
        site=patient.home_site,
        bp_block_systolic=160,
        bp_block_diastolic=95,
        bp_warn_systolic=130,
        bp_warn_diastolic=85,
    )
    selectors.forget(patient)
    finding = selectors.ketamine_screen(patient)[0]
    assert finding.code == "uncontrolled_hypertension" and "160/95" in finding.text
