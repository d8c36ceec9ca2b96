"""Each role's worklists on the start page count what waits in the data and link to the action."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.audit import audit
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.tests.test_audit_chains import tamper
from clinic.inquiries.models import ConsentText, Inquiry
from clinic.scheduling.models import Appointment, AppointmentEvent, Notification
from clinic.treatment.tests.factories import (
    make_chair,
    make_course,
    make_session,
    make_visit,
    record,
)

pytestmark = pytest.mark.django_db

KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 3, 3, 9, 0, tzinfo=KYIV)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def counts(page: str) -> dict[str, int]:
    """{worklist key: the count in its heading (0 when the list is empty)}."""
    found = {}
    for key, section in re.findall(r'data-worklist="([a-z_]+)">(.*?)</section>', page, flags=re.S):
        count = re.search(r'data-count="(\d+)"', section)
        found[key] = int(count.group(1)) if count else 0
    return found


def start_page(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("dashboard:today")).content.decode()


def test_the_nurse_sees_the_chairs_and_the_physician_also_the_doses_to_sign(client, users, kyiv):
    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    waiting = make_session(
        make_course(make_patient(kyiv, "K-1", physician=physician), physician),
        make_chair(kyiv, "Крісло 1"),
        nurse=nurse,
        physician=physician,
        stage="prechecked",
    )
    infusing = make_session(
        make_course(make_patient(kyiv, "K-2", physician=physician), physician),
        make_chair(kyiv, "Крісло 2"),
        nurse=nurse,
        physician=physician,
    )
    record(infusing, nurse, spo2=89)

    page = start_page(client, nurse)
    assert counts(page) == {"chairs": 2, "preparations": 0, "residues": 0}
    assert "Крісло 2: " + infusing.patient.full_name in page
    assert reverse("treatment:infusion", args=[infusing.public_id]) in page

    page = start_page(client, physician)
    found = counts(page)
    assert found["chairs"] == 2 and found["doses"] == 1
    assert reverse("treatment:infusion", args=[waiting.public_id]) in page
    assert {"safety_alerts", "notes", "integration"} <= set(found)
    assert "arrivals" not in found


def test_a_signed_dose_waits_to_be_prepared_then_for_a_second_persons_check(client, users, kyiv):
    from clinic.treatment.tests.factories import prepare_dose

    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    session = make_session(
        make_course(make_patient(kyiv, "K-4", physician=physician), physician),
        make_chair(kyiv, "Крісло 3"),
        nurse=nurse,
        physician=physician,
        stage="dosed",
    )
    page = start_page(client, nurse)
    assert counts(page)["preparations"] == 1
    link = reverse("treatment:infusion", args=[session.public_id]) + "#preparation"
    assert f'<a href="{link}">Крісло 3: {session.patient.full_name}</a>' in page
    prepare_dose(session, nurse=nurse)
    page = start_page(client, physician)
    assert counts(page)["preparations"] == 1
    assert nurse.full_name in page  # prepared by the nurse, the check is the physician's


def test_a_session_left_open_from_an_earlier_day_says_since_when(client, users, kyiv, clock):
    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    make_session(
        make_course(make_patient(kyiv, "K-3", physician=physician), physician),
        make_chair(kyiv),
        nurse=nurse,
        physician=physician,
    )
    clock.shift(timedelta(days=4))
    page = start_page(client, nurse)
    assert "03.03.2026" in page
    assert "хвилин" not in page  # not "overdue by 5889 minutes"


def test_reception_sees_arrivals_undelivered_reminders_and_new_inquiries(client, users, kyiv):
    reception, physician = users[(Role.RECEPTIONIST, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    late = make_visit(
        make_patient(kyiv, "R-1"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING - timedelta(minutes=30),
    )
    make_visit(
        make_patient(kyiv, "R-2"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING + timedelta(hours=3),
    )
    make_visit(  # already here: not on the arrivals list
        make_patient(kyiv, "R-3"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING + timedelta(hours=1),
        status="checked_in",
    )
    tomorrow = make_visit(
        make_patient(kyiv, "R-4"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING + timedelta(days=1),
    )
    Notification.objects.create(
        appointment=tomorrow,
        kind=Notification.Kind.REMINDER,
        for_starts_at=tomorrow.starts_at,
        state=Notification.State.DROPPED,
        drop_reason="no-channel",
    )
    Inquiry.objects.create(
        name="Олена",
        phone="+380671234567",
        site=kyiv,
        topic="trd",
        channel="phone",
        language="uk",
        sender_hash="x",
        consent=ConsentText.objects.get(version=1),
    )

    page = start_page(client, reception)
    found = counts(page)
    assert (found["arrivals"], found["failed_reminders"], found["new_inquiries"]) == (2, 1, 1)
    assert (found["checked_in"], found["unconfirmed"]) == (1, 1)
    assert found["offers_ending"] == 0
    assert reverse("scheduling:appointment", args=[late.public_id]) in page
    assert reverse("scheduling:appointment", args=[tomorrow.public_id]) in page
    # The late arrival is marked as urgent; the later one is not.
    late_url = reverse("scheduling:appointment", args=[late.public_id])
    assert f'<li class="urgent"><a href="{late_url}">' in page
    assert page.count('<li class="urgent">') == 2  # the late arrival and the lost reminder
    assert "doses" not in found and "chairs" not in found


def test_reception_sees_who_waits_checked_in_and_which_visits_tomorrow_are_unannounced(
    client, users, kyiv
):
    reception, physician = users[(Role.RECEPTIONIST, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    waiting = make_visit(
        make_patient(kyiv, "W-1"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING + timedelta(minutes=15),
        status="checked_in",
    )
    AppointmentEvent.objects.create(
        appointment=waiting, kind="checked_in", status="checked_in", at=MORNING, by=reception
    )
    forgotten = make_visit(  # checked in yesterday and never closed
        make_patient(kyiv, "W-2"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING - timedelta(days=1),
        status="checked_in",
    )
    make_visit(  # completed: nobody waits
        make_patient(kyiv, "W-3"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING - timedelta(hours=1),
        status="completed",
    )

    def tomorrow_visit(number, hour, delivered):
        visit = make_visit(
            make_patient(kyiv, number),
            code="consultation",
            practitioner=physician,
            starts_at=MORNING + timedelta(days=1, hours=hour),
        )
        message = OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.SMS,
            recipient="+380671234567",
            body="",
            site=kyiv,
            status=OutboxMessage.Status.SENT if delivered else OutboxMessage.Status.PENDING,
            sent_at=MORNING if delivered else None,
        )
        Notification.objects.create(
            appointment=visit,
            kind=Notification.Kind.CONFIRMATION,
            for_starts_at=visit.starts_at,
            state=Notification.State.QUEUED,
            message=message,
        )
        return visit

    announced = tomorrow_visit("T-1", 1, delivered=True)
    pending = tomorrow_visit("T-2", 2, delivered=False)
    moved = tomorrow_visit("T-3", 3, delivered=True)
    hour = timedelta(hours=1)  # announced at a time it no longer has
    Appointment.objects.filter(pk=moved.pk).update(
        starts_at=F("starts_at") + hour,
        ends_at=F("ends_at") + hour,
        blocked_from=F("blocked_from") + hour,
        blocked_until=F("blocked_until") + hour,
    )
    make_visit(  # the day after tomorrow: not yet reception's call
        make_patient(kyiv, "T-4"),
        code="consultation",
        practitioner=physician,
        starts_at=MORNING + timedelta(days=2),
    )

    page = start_page(client, reception)
    found = counts(page)
    assert (found["checked_in"], found["unconfirmed"]) == (2, 2)
    for visit in (waiting, forgotten, pending, moved):
        assert reverse("scheduling:appointment", args=[visit.public_id]) in page
    assert reverse("scheduling:appointment", args=[announced.public_id]) not in page
    assert "очікує з 09:00" in page
    forgotten_url = reverse("scheduling:appointment", args=[forgotten.public_id])
    assert f'<li class="urgent"><a href="{forgotten_url}">' in page
    assert "02.03" in page  # since when the forgotten one was checked in


def test_the_administrator_sees_the_last_verification_of_the_records_and_any_break(
    client, users, kyiv, clock
):
    from clinic.core import jobs

    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    page = start_page(client, admin)
    assert counts(page)["verification"] == 2  # never verified: both checks wait
    assert "ще не перевірено" in page

    checks = ("audit_verification", "ledger_verification")
    outcomes = {name: jobs.run_job(jobs.JOBS[name]).last_outcome for name in checks}
    assert outcomes == {"audit_verification": "ok", "ledger_verification": "ok"}
    page = start_page(client, admin)
    assert counts(page)["verification"] == 0
    assert "Розривів не знайдено." in page and "03.03.2026 09:00" in page

    audit(admin, "test.written", site=kyiv)
    row = AuditEvent.objects.order_by("pk").last()
    tamper("UPDATE core_auditevent SET reason = 'edited' WHERE id = %s", [row.pk])
    clock.shift(timedelta(days=1))
    assert jobs.run_job(jobs.JOBS["audit_verification"]).last_outcome == "failed"
    page = start_page(client, admin)
    assert counts(page)["verification"] == 1
    assert "content differs from its hash (edited)" in page
    assert counts(page)["jobs"] == 0  # the break is shown once, with its findings


def test_the_administrator_sees_failed_messages_and_an_empty_list_says_what_is_done(
    client, users, kyiv
):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    page = start_page(client, admin)
    assert {k: v for k, v in counts(page).items() if k != "verification"} == {
        "dead_letters": 0,
        "jobs": 0,
    }
    assert "Збоїв надсилання немає." in page
    OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient="patient@example.com",
        subject="Нагадування",
        body="",
        site=kyiv,
        status=OutboxMessage.Status.DEAD,
        last_error="550 mailbox unavailable",
    )
    page = start_page(client, admin)
    assert counts(page)["dead_letters"] == 1
    assert "550 mailbox unavailable" in page


def test_the_worklists_cost_the_same_queries_whatever_waits(client, users, kyiv):
    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]

    def sessions(prefix, n):
        for i in range(n):
            make_session(
                make_course(make_patient(kyiv, f"{prefix}-{i}", physician=physician), physician),
                make_chair(kyiv, f"{prefix} {i}"),
                nurse=nurse,
                physician=physician,
                stage="prechecked",
            )

    sessions("A", 1)
    client.force_login(physician)
    client.get("/staff/")
    with CaptureQueriesContext(connection) as few:
        client.get("/staff/")
    sessions("B", 6)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/staff/").content.decode()
    assert counts(page)["doses"] == 7
    assert len(more) <= len(few)
