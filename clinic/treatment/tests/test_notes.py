from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import make_user
from clinic.core import records
from clinic.core.models import AuditEvent
from clinic.treatment import services
from clinic.treatment.models import SessionNote
from clinic.treatment.selectors import infusions_awaiting_integration
from clinic.treatment.tests.factories import aldrete, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapist(users):
    return users[(Role.PSYCHOTHERAPIST, "kyiv")]


@pytest.fixture
def note(patient, therapist):
    return services.write_session_note(
        patient,
        kind=SessionNote.Kind.PSYCHOTHERAPY,
        held_on=timezone.localdate(),
        text="Конфіденційний зміст сесії",
        actor=therapist,
    )


def test_a_psychotherapy_note_is_seen_by_its_author_and_the_treating_physician_only(
    client, note, therapist, physician, kyiv, users
):
    page = f"/staff/treatment/notes/{note.public_id}/"
    client.force_login(therapist)
    assert "Конфіденційний зміст" in client.get(page).content.decode()
    client.force_login(physician)  # the patient's treating physician
    assert client.get(page).status_code == 200
    colleague = make_user("other.therapist@test.clinic", roles=[Role.PSYCHOTHERAPIST], sites=[kyiv])
    other_physician = make_user("other.doc@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    for outsider in (colleague, other_physician):
        client.force_login(outsider)
        response = client.get(page)
        assert response.status_code == 404
        assert "Конфіденційний" not in response.content.decode()
    client.force_login(users[(Role.NURSE, "kyiv")])
    assert client.get(page).status_code == 403
    client.force_login(users[(Role.PSYCHOTHERAPIST, "lviv")])
    assert client.get(page).status_code == 404
    assert AuditEvent.objects.filter(action="note.viewed", outcome="denied").count() == 3


def test_signing_locks_the_note_and_later_text_goes_into_addenda(client, note, therapist):
    client.force_login(therapist)
    base = f"/staff/treatment/notes/{note.public_id}/"
    client.post(base + "edit/", {"text": "Уточнений зміст"})
    client.post(base + "sign/")
    client.post(base + "edit/", {"text": "Спроба змінити підписане"})
    note.refresh_from_db()
    assert note.is_signed and note.text == "Уточнений зміст"
    client.post(base + "addenda/", {"text": "Доповнення після консультації"})
    addendum = note.addenda.get()
    assert addendum.text == "Доповнення після консультації" and addendum.author == therapist
    page = client.get(base).content.decode()
    assert "Доповнення після консультації" in page


def test_only_the_author_edits_a_draft(note, physician):
    with pytest.raises(records.NoteRefused):
        records.edit_note(note, text="чуже", actor=physician)
    with pytest.raises(records.NoteRefused):
        records.sign_note(note, actor=physician)
    note.refresh_from_db()
    assert note.text == "Конфіденційний зміст сесії" and not note.is_signed


def test_an_integration_session_is_offered_within_the_window_after_an_infusion(
    course, chair, nurse, physician, therapist, patient
):
    with time_machine.travel(timezone.now() - timedelta(hours=5), tick=False) as clock:
        session = make_session(course, chair, nurse=nurse, physician=physician, stage="accounted")
        aldrete(session, nurse)
        clock.shift(timedelta(hours=3))
        services.discharge_patient(
            session, escort_confirmed=True, instructions_given=True, actor=nurse
        )
    site_ids = [patient.home_site_id]
    assert list(infusions_awaiting_integration(site_ids)) == [session]
    later = timezone.now() + timedelta(hours=71)
    assert list(infusions_awaiting_integration(site_ids, now=later)) == []  # past 72 h
    services.write_session_note(
        patient,
        kind=SessionNote.Kind.INTEGRATION,
        held_on=timezone.localdate(),
        text="Інтеграція досвіду",
        infusion=session,
        actor=therapist,
    )
    assert list(infusions_awaiting_integration(site_ids)) == []


def test_a_note_for_a_future_date_is_refused(patient, therapist):
    with pytest.raises(services.TreatmentRefused):
        services.write_session_note(
            patient,
            kind=SessionNote.Kind.BODY_ORIENTED,
            held_on=timezone.localdate() + timedelta(days=1),
            text="x",
            actor=therapist,
        )
    assert not SessionNote.objects.exists()


def test_signing_a_signed_note_again_is_refused_audited_and_changes_nothing(
    client, note, therapist
):
    client.force_login(therapist)
    sign = f"/staff/treatment/notes/{note.public_id}/sign/"
    client.post(sign)
    note.refresh_from_db()
    signed_at = note.signed_at
    client.post(sign)
    note.refresh_from_db()
    assert note.signed_at == signed_at
    assert AuditEvent.objects.filter(action="note.signed").count() == 1
    refusal = AuditEvent.objects.get(action="note.refused")
    assert refusal.outcome == "denied" and refusal.object_id == str(note.public_id)
