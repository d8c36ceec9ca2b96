"""The move to the shared record primitives keeps the data: rows written in the old shape
(two addendum tables, per-app strike-out fields) are found in the new one after migrating."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("core", "0006_note_addendum"),
    ("patients", "0008_shared_strike_out_and_signed_by"),
    ("treatment", "0006_shared_strike_out_and_signed_note"),
    ("assessments", "0004_add_cadss6"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _old_rows(old):
    """Write, through the historical models, what the old code would have written."""
    site = old.get_model("locations", "Site").objects.create(code="m", name="М")
    user = old.get_model("accounts", "User").objects.create(email="old.doc@test.clinic")
    patient = old.get_model("patients", "Patient").objects.create(
        record_number="M-0001",
        home_site=site,
        family_name="Коваленко",
        given_name="Олена",
        birth_date=date(1990, 1, 1),
        created_by=user,
    )
    signed_at = timezone.now()
    clinical = old.get_model("patients", "ClinicalNote").objects.create(
        patient=patient, kind="consultation", text="к", author=user, signed_at=signed_at
    )
    old.get_model("patients", "NoteAddendum").objects.create(
        note=clinical, author=user, text="доповнення консультації"
    )
    session_note = old.get_model("treatment", "SessionNote").objects.create(
        patient=patient,
        kind="psychotherapy",
        held_on=date(2026, 1, 5),
        text="с",
        author=user,
        signed_at=signed_at,
    )
    old.get_model("treatment", "NoteAddendum").objects.create(
        note=session_note, by=user, text="доповнення сесії"
    )
    weight = old.get_model("patients", "BodyMeasurement").objects.create(
        patient=patient,
        measured_on=date(2026, 1, 5),
        weight_kg=27,
        recorded_by=user,
        entered_in_error=True,
    )
    struck_at = timezone.now()
    old.get_model("core", "AuditEvent").objects.create(
        seq=1,
        at=struck_at,
        actor=user,
        action="patient.entry.struck_out",
        patient=patient,
        object_type="patients.bodymeasurement",
        object_id=str(weight.public_id),
        reason="кома",
        prev_hash="0" * 64,
        row_hash="1" * 64,
    )
    assessment = old.get_model("assessments", "Assessment").objects.create(
        patient=patient,
        site=site,
        code="phq9",
        version="1",
        mode="staff",
        status="entered_in_error",
        answers=[0] * 9,
        total=0,
        completed_at=struck_at,
        error_reason="не той пацієнт",
        marked_in_error_at=struck_at,
        marked_in_error_by=user,
    )
    return {
        "user": user.pk,
        "clinical": clinical.pk,
        "session_note": session_note.pk,
        "weight": weight.pk,
        "assessment": assessment.pk,
        "struck_at": struck_at,
        "signed_at": signed_at,
    }


def test_old_addenda_and_strike_outs_appear_in_the_new_shape():
    old = _migrate(BEFORE)
    try:
        ids = _old_rows(old)
    finally:
        new = _migrate(_latest())
    addendum = new.get_model("core", "NoteAddendum")
    content_type = new.get_model("contenttypes", "ContentType")
    moved = {
        (content_type.objects.get(pk=a.note_type_id).model, a.note_id, a.author_id, a.text)
        for a in addendum.objects.all()
    }
    assert moved == {
        ("clinicalnote", ids["clinical"], ids["user"], "доповнення консультації"),
        ("sessionnote", ids["session_note"], ids["user"], "доповнення сесії"),
    }
    for app, model, pk in (
        ("patients", "ClinicalNote", ids["clinical"]),
        ("treatment", "SessionNote", ids["session_note"]),
    ):
        note = new.get_model(app, model).objects.get(pk=pk)
        assert note.signed_by_id == ids["user"] and note.signed_at == ids["signed_at"]

    weight = new.get_model("patients", "BodyMeasurement").objects.get(pk=ids["weight"])
    assert weight.entered_in_error and weight.strike_out_reason == "кома"
    assert weight.struck_out_by_id == ids["user"] and weight.struck_out_at == ids["struck_at"]

    assessment = new.get_model("assessments", "Assessment").objects.get(pk=ids["assessment"])
    assert assessment.entered_in_error and assessment.status == "entered_in_error"
    assert assessment.strike_out_reason == "не той пацієнт"
    assert assessment.struck_out_by_id == ids["user"]
    assert assessment.struck_out_at == ids["struck_at"]
