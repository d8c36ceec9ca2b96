"""Every treatment object route answers 404 to staff of the other site, writes nothing, and
audits the attempt; the right roles reach their own site's objects."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.core import records
from clinic.core.models import AuditEvent, NoteAddendum
from clinic.locations.models import Room
from clinic.treatment import services
from clinic.treatment.models import (
    InfusionStatusChange,
    SessionNote,
    TesSession,
    VitalAlert,
)
from clinic.treatment.tests.factories import make_chair, make_session, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(course, chair, nurse, physician, patient, users, kyiv):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, systolic=199)
    tes = services.start_tes_session(
        patient, room=make_chair(kyiv, "ТЕС", kind=Room.Kind.TES), device="d",
        serial_number="s", stimulation="tdcs", anode="F3", cathode="F4",
        electrode_area_cm2=Decimal(25), current_ma=Decimal(1), minutes=20, ramp_up_seconds=30,
        ramp_down_seconds=30, skin_before="intact", actor=nurse,
    )  # fmt: skip
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    note = services.write_session_note(
        patient, kind="integration", held_on=date(2026, 1, 5), text="т", actor=therapist
    )
    records.sign_note(note, actor=therapist)
    return {
        "course": course,
        "session": session,
        "alert": VitalAlert.objects.get(),
        "tes": tes,
        "note": note,
    }


def routes(o):
    s = f"/staff/treatment/infusions/{o['session'].public_id}/"
    return [
        ("get", f"/staff/treatment/courses/{o['course'].public_id}/", {}),
        ("post", f"/staff/treatment/courses/{o['course'].public_id}/close/", {"status": "stopped"}),
        ("post", f"/staff/treatment/courses/{o['course'].public_id}/infusions/new/", {}),
        ("get", s, {}),
        ("get", s + "record-uk.pdf", {}),
        ("post", s + "vitals/", {"systolic": "120"}),
        ("post", s + "interrupt/", {"reason": "x"}),
        ("post", s + "stop/", {"reason": "x", "administered_mg": "1"}),
        ("post", s + "end/", {}),
        ("post", s + "dose/", {"mg_per_kg": "0.4"}),
        ("post", s + "discharge/", {"override_reason": "x"}),
        ("post", s + "scores/", {"code": "moaas"}),
        ("post", s + "adverse-events/", {}),
        ("post", f"/staff/treatment/alerts/{o['alert'].public_id}/resolve/", {"note": "x"}),
        ("get", f"/staff/treatment/tes/{o['tes'].public_id}/", {}),
        ("post", f"/staff/treatment/tes/{o['tes'].public_id}/complete/", {"skin_after": "intact"}),
        ("get", f"/staff/treatment/notes/{o['note'].public_id}/", {}),
        ("post", f"/staff/treatment/notes/{o['note'].public_id}/addenda/", {"text": "x"}),
    ]  # fmt: skip


@pytest.mark.parametrize("role", [Role.NURSE, Role.PHYSICIAN, Role.PSYCHOTHERAPIST])
def test_staff_of_the_other_site_reach_no_treatment_object(client, users, objects, role):
    outsider = users[(role, "lviv")]
    client.force_login(outsider)
    history = InfusionStatusChange.objects.count()
    for method, path, data in routes(objects):
        response = getattr(client, method)(path, data)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "Коваленко" not in response.content.decode()
    assert InfusionStatusChange.objects.count() == history
    assert objects["session"].vitals.count() == 1
    assert VitalAlert.objects.get().closed_at is None
    assert TesSession.objects.get().status == "started"
    assert not NoteAddendum.objects.exists()
    # 403s (a role without the page) are audited by the 403 handler; 404s on another site's
    # object are audited by the access functions, with the patient.
    denied = AuditEvent.objects.filter(actor=outsider, outcome="denied").exclude(
        action="access.denied"
    )
    assert denied.exists() and all(e.patient_id == objects["session"].patient_id for e in denied)


def test_own_site_staff_reach_their_objects(client, users, objects, nurse):
    client.force_login(nurse)
    for method, path, _data in routes(objects):
        if method == "get" and "/notes/" not in path:
            assert client.get(path).status_code == 200, path
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    client.force_login(therapist)
    assert client.get(f"/staff/treatment/notes/{objects['note'].public_id}/").status_code == 200
    assert SessionNote.objects.get().signed_at <= timezone.now()
