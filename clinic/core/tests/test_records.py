"""The shared record primitives: strike-out, signed notes with addenda, status transitions.

They are exercised on real models of the apps that use them, looked up in the app registry so
that core's code (tests included) imports no app above it.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core import records
from clinic.core.models import AuditEvent, NoteAddendum

pytestmark = pytest.mark.django_db


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv)


@pytest.fixture
def weight(patient, physician):
    return apps.get_model("patients", "BodyMeasurement").objects.create(
        patient=patient,
        measured_on=timezone.localdate(),
        weight_kg=Decimal("70.0"),
        recorded_by=physician,
    )


@pytest.fixture
def note(patient, physician):
    return apps.get_model("patients", "ClinicalNote").objects.create(
        patient=patient, kind="consultation", text="Чернетка", author=physician
    )


def _nothing_struck(row):
    row.refresh_from_db()
    return (
        not row.entered_in_error
        and row.strike_out_reason == ""
        and row.struck_out_at is None
        and row.struck_out_by is None
    )


# Strike-out ---------------------------------------------------------------------------------


def test_it_strikes_out_with_who_when_and_why_and_audits_one_verb(weight, physician, patient):
    records.strike_out(weight, reason="  кома не там  ", actor=physician)
    weight.refresh_from_db()
    assert weight.entered_in_error and weight.strike_out_reason == "кома не там"
    assert weight.struck_out_by == physician and weight.struck_out_at is not None
    event = AuditEvent.objects.get(action=records.STRUCK_OUT)
    assert event.patient == patient and event.object_id == str(weight.public_id)
    assert event.reason == "кома не там"
    model = type(weight)
    assert list(model.objects.standing()) == [] and model.objects.count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_it_refuses_a_strike_out_without_a_usable_reason_and_writes_nothing(
    weight, physician, reason
):
    with pytest.raises(records.StrikeOutRefused):
        records.strike_out(weight, reason=reason, actor=physician)
    assert _nothing_struck(weight)
    assert not AuditEvent.objects.filter(action=records.STRUCK_OUT).exists()


def test_it_refuses_to_strike_out_twice_and_keeps_the_first(weight, physician, users):
    records.strike_out(weight, reason="перший раз", actor=physician)
    first = type(weight).objects.get(pk=weight.pk)
    with pytest.raises(records.StrikeOutRefused):
        records.strike_out(weight, reason="другий раз", actor=users[(Role.NURSE, "kyiv")])
    weight.refresh_from_db()
    assert weight.strike_out_reason == "перший раз" and weight.struck_out_by == physician
    assert weight.struck_out_at == first.struck_out_at
    assert AuditEvent.objects.filter(action=records.STRUCK_OUT).count() == 1


def test_every_struck_out_model_has_the_shared_fields():
    struck = [m for m in apps.get_models() if issubclass(m, records.StrikeOut)]
    names = {m._meta.label for m in struck}
    assert {
        "patients.BodyMeasurement",
        "patients.BloodPressure",
        "patients.Medication",
        "patients.AntidepressantTrial",
        "treatment.VitalSigns",
        "assessments.Assessment",
    } <= names
    for model in struck:
        assert hasattr(model.objects, "standing"), model


# Signed notes -------------------------------------------------------------------------------


def test_a_signed_note_cannot_be_edited(note, physician):
    records.sign_note(note, actor=physician)
    with pytest.raises(records.NoteRefused):
        records.edit_note(note, text="Змінено", actor=physician)
    note.refresh_from_db()
    assert note.text == "Чернетка" and note.signed_by == physician
    assert not AuditEvent.objects.filter(action="note.edited").exists()
    assert AuditEvent.objects.filter(action="note.signed").count() == 1


def test_a_note_is_signed_once(note, physician):
    signed = records.sign_note(note, actor=physician)
    with pytest.raises(records.NoteRefused):
        records.sign_note(note, actor=physician)
    note.refresh_from_db()
    assert note.signed_at == signed.signed_at
    assert AuditEvent.objects.filter(action="note.signed").count() == 1


def test_an_addendum_needs_a_signed_note_and_writes_nothing_on_a_draft(note, physician):
    with pytest.raises(records.NoteRefused):
        records.add_addendum(note, text="Уточнення", actor=physician)
    assert not NoteAddendum.objects.exists()
    assert not AuditEvent.objects.filter(action="note.addendum_added").exists()


def test_an_addendum_on_a_signed_note_leaves_the_note_as_signed(note, physician):
    records.sign_note(note, actor=physician)
    with pytest.raises(records.NoteRefused):
        records.add_addendum(note, text="   ", actor=physician)
    addendum = records.add_addendum(note, text="Уточнення дози", actor=physician)
    note.refresh_from_db()
    assert note.text == "Чернетка"
    assert list(note.addenda.all()) == [addendum]
    assert addendum.note == note and addendum.author == physician
    assert AuditEvent.objects.filter(action="note.addendum_added").count() == 1


def test_addenda_of_two_kinds_of_note_share_one_table_without_mixing(
    note, physician, patient, users
):
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    # The same integer id on both sides must not mix the two notes' addenda.
    session_note = apps.get_model("treatment", "SessionNote").objects.create(
        pk=note.pk,
        patient=patient,
        kind="psychotherapy",
        held_on=date(2026, 1, 5),
        text="т",
        author=therapist,
    )
    records.sign_note(note, actor=physician)
    records.sign_note(session_note, actor=therapist)
    records.add_addendum(note, text="до консультації", actor=physician)
    records.add_addendum(session_note, text="до сесії", actor=therapist)
    assert [a.text for a in note.addenda.all()] == ["до консультації"]
    assert [a.text for a in session_note.addenda.all()] == ["до сесії"]


# Status transitions -------------------------------------------------------------------------


@pytest.fixture
def waitlist_entry(patient, physician, kyiv):
    visit_type = apps.get_model("scheduling", "VisitType").objects.create(
        code="consult", name="Консультація", duration_minutes=30
    )
    today = timezone.localdate()
    return apps.get_model("scheduling", "WaitlistEntry").objects.create(
        patient=patient,
        visit_type=visit_type,
        site=kyiv,
        earliest_on=today,
        latest_on=today + timedelta(days=14),
        created_by=physician,
    )


def test_a_transition_moves_the_status_writes_history_and_audits(waitlist_entry, physician):
    records.transition(
        waitlist_entry, "withdrawn", actor=physician, reason="вже не потрібно", audit_as="x.moved"
    )
    waitlist_entry.refresh_from_db()
    assert waitlist_entry.status == "withdrawn"
    row = waitlist_entry.events.get()
    assert (row.status, row.by, row.reason) == ("withdrawn", physician, "вже не потрібно")
    event = AuditEvent.objects.get(action="x.moved")
    assert event.object_id == str(waitlist_entry.public_id) and event.reason == "вже не потрібно"


def test_an_illegal_transition_is_refused_and_writes_nothing(waitlist_entry, physician):
    with pytest.raises(records.TransitionRefused):
        records.transition(waitlist_entry, "booked", actor=physician, audit_as="x.moved")
    waitlist_entry.refresh_from_db()
    assert waitlist_entry.status == "waiting"
    assert not waitlist_entry.events.exists()
    assert not AuditEvent.objects.filter(action="x.moved").exists()


def test_every_machine_declares_its_table_for_every_status():
    machines = [m for m in apps.get_models() if issubclass(m, records.StatusMachine)]
    assert len(machines) >= 5
    for model in machines:
        statuses = {value for value, _label in model._meta.get_field("status").choices}
        assert set(model.TRANSITIONS) == statuses, model
        assert all(targets <= statuses for targets in model.TRANSITIONS.values()), model
