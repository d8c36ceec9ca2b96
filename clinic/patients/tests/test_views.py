import json
import re
import uuid
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently
from clinic.core.models import AuditEvent
from clinic.patients import services
from clinic.patients.models import (
    AntidepressantTrial,
    ClinicalNote,
    Consent,
    EligibilityDecision,
    Intake,
    Patient,
)
from clinic.patients.tests.factories import drug, make_intake, make_registered, make_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(client, users):
    def sign_in(role, site="kyiv"):
        client.force_login(users[(role, site)])
        authenticate_recently(client, users[(role, site)])
        return client

    return sign_in


def base(patient):
    return f"/staff/patients/{patient.public_id}/"


REGISTRATION = {
    "family_name": "Ґудзь",
    "given_name": "Мар\u2019яна",
    "birth_date": "1991-05-04",
    "sex": "female",
    "phone": "067 123 45 67",
    "preferred_language": "uk",
    "preferred_channel": "sms",
}


def test_reception_registers_a_patient_with_the_next_record_number(as_role, kyiv):
    client = as_role(Role.RECEPTIONIST)
    response = client.post("/staff/patients/new/", {**REGISTRATION, "home_site": kyiv.pk})
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == base(patient)
    assert patient.record_number == "K-0001"
    assert patient.family_name_latin == "Gudz" and patient.given_name_latin == "Mariana"
    assert str(patient.phone) == "+380671234567"


def test_a_retried_registration_with_the_same_key_registers_one_patient(as_role, kyiv):
    client = as_role(Role.RECEPTIONIST)
    page = client.get("/staff/patients/new/").content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page).group(1)
    form = {**REGISTRATION, "home_site": kyiv.pk, "idempotency_key": key}
    first = client.post("/staff/patients/new/", form)
    again = client.post("/staff/patients/new/", form)
    patient = Patient.objects.get()
    assert first["Location"] == again["Location"] == base(patient)
    assert AuditEvent.objects.filter(action="patient.registered").count() == 1
    # A new form is a new key: the same details entered again register again (a namesake).
    other = re.search(
        r'name="idempotency_key" value="([0-9a-f-]{36})"',
        client.get("/staff/patients/new/").content.decode(),
    ).group(1)
    assert other != key


def test_a_key_used_by_someone_else_registers_nothing(as_role, kyiv, users):
    form = {**REGISTRATION, "home_site": kyiv.pk, "idempotency_key": str(uuid.uuid4())}
    as_role(Role.RECEPTIONIST).post("/staff/patients/new/", form)
    response = as_role(Role.PHYSICIAN).post("/staff/patients/new/", form)
    assert response.status_code == 403
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"birth_date": "2999-01-01"},
        {"birth_date": "1850-01-01"},
        {"family_name": "Ко\x00валенко"},
        {"phone": "12"},
        {"preferred_channel": "email"},
        {"family_name": "Я" * 5000},
    ],
)
def test_registration_with_bad_input_says_so_and_writes_nothing(as_role, kyiv, bad):
    client = as_role(Role.RECEPTIONIST)
    response = client.post("/staff/patients/new/", {**REGISTRATION, "home_site": kyiv.pk, **bad})
    assert response.status_code == 400
    assert not Patient.objects.exists()


def test_registration_at_a_site_one_does_not_work_at_is_refused(as_role, lviv):
    client = as_role(Role.RECEPTIONIST)
    response = client.post("/staff/patients/new/", {**REGISTRATION, "home_site": lviv.pk})
    assert response.status_code == 400
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "ґудзь",
        "ҐУДЗЬ",
        "Мар'яна",
        "марʼяна",
        "gudz",
        "067 123 45 67",
        "+380671234567",
        "04.05.1991",
        "1991-05-04",
        "K-0001",
        "k-0001",
    ],
)
def test_search_finds_the_patient_by_name_phone_birth_date_or_record(as_role, kyiv, query):
    patient = make_registered(
        kyiv,
        family_name="Ґудзь",
        given_name="Мар\u2019яна",
        birth_date=date(1991, 5, 4),
        phone="+380671234567",
    )
    make_registered(kyiv, "K-0002", family_name="Шевчук", given_name="Андрій")
    page = as_role(Role.RECEPTIONIST).get("/staff/patients/", {"q": query}).content.decode()
    assert patient.record_number in page and "Шевчук" not in page


def test_search_never_shows_another_sites_patient(as_role, kyiv, lviv):
    make_registered(lviv, "L-0001", family_name="Ґудзь")
    page = as_role(Role.RECEPTIONIST).get("/staff/patients/", {"q": "Ґудзь"}).content.decode()
    assert "L-0001" not in page and "нікого не знайдено" in page


@pytest.mark.parametrize(
    "query", ["\x00", "%", "_", "'; DROP TABLE x; --", "я" * 300, "00.00.0000"]
)
def test_odd_search_input_answers_normally(as_role, kyiv, query):
    make_registered(kyiv)
    response = as_role(Role.RECEPTIONIST).get("/staff/patients/", {"q": query})
    assert response.status_code == 200


def test_search_results_page_with_the_query_kept(as_role, kyiv):
    for i in range(55):
        make_registered(kyiv, f"K-{i:04d}", family_name="Петренко")
    page = as_role(Role.RECEPTIONIST).get("/staff/patients/", {"q": "петренко & ол"}).content
    assert "q=%D0%BF%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE+%26+%D0%BE%D0%BB&amp;page=2" in (
        page.decode()
    )


def test_the_search_query_count_does_not_grow(as_role, kyiv, django_assert_max_num_queries):
    client = as_role(Role.RECEPTIONIST)
    for i in range(3):
        make_registered(kyiv, f"K-{i:04d}", family_name="Петренко")
    with django_assert_max_num_queries(20) as few:
        client.get("/staff/patients/", {"q": "петренко"})
    for i in range(3, 40):
        make_registered(kyiv, f"K-{i:04d}", family_name="Петренко")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/staff/patients/", {"q": "петренко"})


def test_rectification_through_the_form_changes_only_through_the_service(as_role, kyiv):
    patient = make_registered(kyiv)
    client = as_role(Role.RECEPTIONIST)
    data = {**REGISTRATION, "family_name": "Коваль", "given_name": "Олена"}
    response = client.post(base(patient) + "details/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Коваль"
    assert AuditEvent.objects.filter(action="patient.details.changed").count() == 1


def test_a_consent_time_inside_the_dst_gap_is_refused(as_role, kyiv):
    patient = make_registered(kyiv)
    response = as_role(Role.RECEPTIONIST).post(
        base(patient) + "consents/new/",
        {
            "purpose": "treatment",
            "given": "yes",
            "channel": "paper",
            "given_at": "2026-03-29T03:30",
        },
    )
    assert response.status_code == 400
    assert not Consent.objects.exists()


@pytest.mark.parametrize("given_at", ["0001-01-01T00:00", "9999-12-31T23:59", "2026-13-01T10:00"])
def test_a_consent_at_an_impossible_time_is_refused(as_role, kyiv, given_at):
    patient = make_registered(kyiv)
    response = as_role(Role.RECEPTIONIST).post(
        base(patient) + "consents/new/",
        {"purpose": "treatment", "given": "yes", "channel": "paper", "given_at": given_at},
    )
    assert response.status_code == 400
    assert not Consent.objects.exists()


def test_reception_records_and_withdraws_a_consent(as_role, kyiv):
    patient = make_registered(kyiv)
    client = as_role(Role.RECEPTIONIST)
    client.post(
        base(patient) + "consents/new/",
        {
            "purpose": "personal_data",
            "given": "yes",
            "channel": "paper",
            "given_at": "2026-11-20T10:15",
        },
    )
    consent = Consent.objects.get()
    client.post(f"/staff/patients/consents/{consent.public_id}/withdraw/", {"note": ""})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


def test_recording_a_consent_already_in_force_is_refused_with_a_message(as_role, kyiv):
    patient = make_registered(kyiv)
    client = as_role(Role.RECEPTIONIST)
    form = {
        "purpose": "personal_data",
        "given": "yes",
        "channel": "paper",
        "given_at": "2026-11-20T10:15",
    }
    client.post(base(patient) + "consents/new/", form)
    response = client.post(base(patient) + "consents/new/", form)
    assert response.status_code == 400  # the form is shown again with the reason
    assert "вже є в картці" in response.content.decode()
    assert Consent.objects.count() == 1
    refusal = AuditEvent.objects.get(outcome="denied")
    assert refusal.action == "patient.consent.duplicate"


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.NURSE, Role.PSYCHOTHERAPIST])
def test_only_physicians_enter_the_treatment_history(as_role, kyiv, role):
    patient = make_registered(kyiv)
    response = as_role(role).post(
        base(patient) + "trials/new/", {"drug": drug("sertraline").pk, "adherence": "good"}
    )
    assert response.status_code == 403
    assert not AntidepressantTrial.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"daily_dose_mg": "99999999999999999999"},
        {"daily_dose_mg": "-5"},
        {"improvement_pct": "1000"},
        {"started_on": "2999-01-01"},
        {"started_on": "2025-05-01", "stopped_on": "2025-04-01"},
        {"drug": "999999"},
        {"drug": "abc"},
    ],
)
def test_a_trial_with_bad_input_is_refused_and_nothing_is_written(as_role, kyiv, bad):
    patient = make_registered(kyiv)
    data = {"drug": drug("sertraline").pk, "adherence": "good", "daily_dose_mg": "100", **bad}
    response = as_role(Role.PHYSICIAN).post(base(patient) + "trials/new/", data)
    assert response.status_code == 400
    assert not AntidepressantTrial.objects.exists()


def test_the_intake_form_saves_a_new_version(as_role, kyiv):
    patient = make_registered(kyiv)
    client = as_role(Role.PHYSICIAN)
    data = {
        "condition_trd": "on",
        "episode_onset": "2025-06-01",
        "episode_count": "2",
        "severity": "severe",
        "substance_use": "none",
        "allergies": "пеніцилін",
    }
    assert client.post(base(patient) + "intake/", data).status_code == 302
    assert (
        client.post(base(patient) + "intake/", {**data, "severity": "moderate"}).status_code == 302
    )
    assert Intake.objects.filter(patient=patient).count() == 2
    page = client.get(base(patient) + "intake/").content.decode()
    assert 'value="moderate" selected' in page


def test_an_intake_with_contradicting_perinatal_dates_is_refused(as_role, kyiv):
    patient = make_registered(kyiv)
    data = {"substance_use": "none", "pregnancy_start": "2026-05-01", "delivery_date": "2026-04-01"}
    response = as_role(Role.PHYSICIAN).post(base(patient) + "intake/", data)
    assert response.status_code == 400
    assert not Intake.objects.exists()


def test_a_nurse_records_weight_and_blood_pressure(as_role, kyiv):
    patient = make_registered(kyiv)
    response = as_role(Role.NURSE).post(
        base(patient) + "measurements/new/",
        {
            "measured_on": timezone.localdate().isoformat(),
            "weight_kg": "64.5",
            "systolic": "125",
            "diastolic": "80",
        },
    )
    assert response.status_code == 302
    assert patient.measurements.get().weight_kg == 64.5
    assert patient.blood_pressures.get().systolic == 125


def test_a_half_entered_blood_pressure_is_refused(as_role, kyiv):
    patient = make_registered(kyiv)
    response = as_role(Role.NURSE).post(
        base(patient) + "measurements/new/",
        {"measured_on": timezone.localdate().isoformat(), "systolic": "125"},
    )
    assert response.status_code == 400
    assert not patient.blood_pressures.exists()


def test_overriding_a_contraindication_without_a_reason_is_refused(as_role, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient, stroke_history=True)
    client = as_role(Role.PHYSICIAN)
    response = client.post(base(patient) + "ketamine/", {"is_eligible": "yes", "reasons": ""})
    assert response.status_code == 400
    assert not EligibilityDecision.objects.exists()
    response = client.post(
        base(patient) + "ketamine/", {"is_eligible": "no", "reasons": "Інсульт у 2023"}
    )
    assert response.status_code == 302
    page = client.get(base(patient)).content.decode()
    assert "не дозволено" in page and "Інсульт у 2023" in page


def test_a_note_is_written_signed_and_amended_through_its_pages(as_role, kyiv):
    patient = make_registered(kyiv)
    client = as_role(Role.PHYSICIAN)
    response = client.post(
        base(patient) + "notes/new/", {"kind": "consultation", "text": "Скарги на безсоння"}
    )
    note = ClinicalNote.objects.get()
    assert response["Location"] == f"/staff/patients/notes/{note.public_id}/"
    client.post(f"/staff/patients/notes/{note.public_id}/sign/")
    client.post(f"/staff/patients/notes/{note.public_id}/", {"text": "Доповнення"})
    note.refresh_from_db()
    assert note.is_signed and note.text == "Скарги на безсоння"
    assert note.addenda.get().text == "Доповнення"


def test_a_psychotherapist_cannot_write_a_consultation_note(as_role, kyiv):
    patient = make_registered(kyiv)
    response = as_role(Role.PSYCHOTHERAPIST).post(
        base(patient) + "notes/new/", {"kind": "consultation", "text": "x"}
    )
    assert response.status_code == 400
    assert not ClinicalNote.objects.exists()


def test_a_nurse_gets_403_for_a_psychotherapy_note(as_role, users, kyiv):
    patient = make_registered(kyiv)
    note = services.write_note(
        patient, kind="psychotherapy", text="Таємне", actor=users[(Role.PSYCHOTHERAPIST, "kyiv")]
    )
    response = as_role(Role.NURSE).get(f"/staff/patients/notes/{note.public_id}/")
    assert response.status_code == 403
    assert "Таємне" not in response.content.decode()


def test_the_json_export_holds_the_record_and_is_audited(as_role, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient, allergies="латекс")
    make_trial(patient)
    response = as_role(Role.PHYSICIAN).get(base(patient) + "export.json")
    data = json.loads(response.content)
    assert data["patient"]["family_name"] == "Коваленко"
    assert data["intakes"][0]["allergies"] == "латекс"
    assert data["antidepressant_trials"][0]["drug"] == "Сертралін"
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="patient.exported", reason="json").count() == 1


def test_the_export_leaves_out_psychotherapy_notes_the_exporter_may_not_read(
    as_role, users, kyiv, staff_factory
):
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    patient = make_registered(kyiv, physician=users[(Role.PHYSICIAN, "kyiv")])
    services.write_note(patient, kind="psychotherapy", text="Сон про батька", actor=therapist)
    other = staff_factory("other.doc@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    client = as_role(Role.PHYSICIAN)
    data = json.loads(client.get(base(patient) + "export.json").content)
    assert data["notes"][0]["text"] == "Сон про батька" and data["notes_withheld"] == 0
    client.force_login(other)
    authenticate_recently(client, other)
    response = client.get(base(patient) + "export.json")
    assert "Сон про батька" not in response.content.decode()
    assert json.loads(response.content)["notes_withheld"] == 1


def test_the_pdf_summary_is_a_pdf_and_is_audited(as_role, kyiv):
    patient = make_registered(kyiv)
    make_trial(patient)
    response = as_role(Role.PHYSICIAN).get(base(patient) + "summary.pdf")
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    assert AuditEvent.objects.filter(action="patient.exported", reason="pdf").count() == 1


@pytest.mark.parametrize("export", ["export.json", "summary.pdf"])
def test_exporting_a_patient_asks_to_re_authenticate_after_a_while(client, users, kyiv, export):
    physician = users[(Role.PHYSICIAN, "kyiv")]
    patient = make_registered(kyiv)
    client.force_login(physician)
    authenticate_recently(client, physician, seconds_ago=301)
    response = client.get(base(patient) + export)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action="patient.exported").exists()
    reauthenticated = client.post(response["Location"], {"password": "correct horse battery"})
    assert reauthenticated["Location"] == base(patient) + export
    assert client.get(base(patient) + export).status_code == 200
    assert AuditEvent.objects.filter(action="patient.exported").count() == 1


def test_reception_cannot_export_the_clinical_record(as_role, kyiv):
    patient = make_registered(kyiv)
    assert as_role(Role.RECEPTIONIST).get(base(patient) + "export.json").status_code == 403
    assert not AuditEvent.objects.filter(action="patient.exported").exists()


def test_the_chart_in_english(as_role, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient)
    make_trial(patient)
    make_trial(patient, "venlafaxine", dose=150)
    client = as_role(Role.PHYSICIAN)
    client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    page = client.get(base(patient)).content.decode()
    assert "Treatment-resistant depression: yes" in page
    assert "Sertraline" in page


def test_an_administrator_publishes_a_new_consent_version(admin_client):
    response = admin_client.post(
        "/staff/patients/consent-texts/",
        {"purpose": "ketamine", "text_uk": "Нова редакція", "text_en": "New wording"},
    )
    assert response.status_code == 302
    from clinic.patients.models import ConsentWording

    assert (
        ConsentWording.objects.filter(purpose="ketamine").order_by("-version").first().version == 2
    )
    assert (
        admin_client.post(
            "/staff/patients/consent-texts/", {"purpose": "ketamine", "text_uk": "", "text_en": ""}
        ).status_code
        == 400
    )
    assert ConsentWording.objects.filter(purpose="ketamine").count() == 2


def test_a_nurse_strikes_out_a_wrong_blood_pressure_and_the_screen_follows(as_role, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient)
    reading = services.record_blood_pressure(
        patient,
        systolic=210,
        diastolic=120,
        measured_on=timezone.localdate(),
        actor=users[(Role.NURSE, "kyiv")],
    )
    client = as_role(Role.NURSE)
    assert "неконтрольована гіпертензія" in client.get(base(patient)).content.decode()
    response = client.post(
        f"/staff/patients/blood-pressure/{reading.public_id}/error/", {"reason": "не той пацієнт"}
    )
    assert response.status_code == 302
    reading.refresh_from_db()
    assert reading.entered_in_error
    assert "неконтрольована гіпертензія" not in client.get(base(patient)).content.decode()


def test_a_refused_change_is_shown_audited_once_and_writes_nothing(as_role, users, kyiv):
    from django.contrib.messages import get_messages

    patient = make_registered(kyiv)
    physician = users[(Role.PHYSICIAN, "kyiv")]
    medication = services.add_medication(
        patient,
        other_name="Мелатонін",
        started_on=date(2025, 1, 1),
        stopped_on=date(2025, 6, 1),
        actor=physician,
    )
    client = as_role(Role.PHYSICIAN)
    client.cookies["django_language"] = "en"
    before = AuditEvent.objects.count()
    response = client.post(f"/staff/patients/medications/{medication.public_id}/stop/")
    assert response.status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_on == date(2025, 6, 1)
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "patient.refused" and refusal.actor == physician
    assert refusal.patient == patient and refusal.object_id == str(medication.public_id)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [refusal.reason]
    assert refusal.reason == "This medicine is already stopped."
