"""Chair alerts reach the responsible and on-duty physicians, escalate, and get closed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments.models import OnDutyPhysician
from clinic.conftest import make_user
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.treatment import services
from clinic.treatment.models import AlertNotice, TreatmentSettings, VitalAlert, VitalSigns
from clinic.treatment.tests.factories import make_session, record

KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=KYIV)


def on_duty(site, physician):
    day = MORNING.date()
    return OnDutyPhysician.objects.create(
        site=site, physician=physician, starts_on=day, ends_on=day, created_by=physician
    )


@pytest.fixture
def duty(kyiv):
    return make_user("duty.kyiv@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])


@pytest.fixture
def second(kyiv):
    return make_user("second.kyiv@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def test_a_desaturation_tells_the_responsible_and_on_duty_physicians(
    clock, kyiv, course, chair, nurse, physician, duty
):
    on_duty(kyiv, duty)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    alert = VitalAlert.objects.get()
    assert alert.kind == "spo2_low"
    notices = {n.recipient: n.reason for n in AlertNotice.objects.filter(alert=alert)}
    assert notices == {physician: "responsible", duty: "on_duty"}
    messages = OutboxMessage.objects.filter(dedupe_key__startswith="chair-alert:")
    assert sorted(messages.values_list("recipient", flat=True)) == sorted(
        [physician.email, duty.email]
    )
    link = f"http://127.0.0.1:8000{reverse('treatment:infusion', args=[session.public_id])}"
    assert all(link in message.body for message in messages)
    assert AuditEvent.objects.filter(action="infusion.alert.notified").count() == 2


def test_a_physician_both_responsible_and_on_duty_is_told_once(
    clock, kyiv, course, chair, nurse, physician
):
    on_duty(kyiv, physician)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    assert AlertNotice.objects.count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__startswith="chair-alert:").count() == 1


def test_a_rolled_back_reading_leaves_no_notice_and_no_message(
    clock, kyiv, course, chair, nurse, physician, duty
):
    on_duty(kyiv, duty)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(session, nurse, spo2=89)
        raise RuntimeError("the rest of the request failed")
    with pytest.raises(services.TreatmentRefused):
        record(session, nurse, spo2=89, systolic=80, diastolic=90)
    assert not VitalSigns.objects.exists()
    assert not VitalAlert.objects.exists()
    assert not AlertNotice.objects.exists()
    assert not OutboxMessage.objects.filter(dedupe_key__startswith="chair-alert:").exists()


def test_a_reading_in_range_tells_nobody(clock, kyiv, course, chair, nurse, physician, duty):
    on_duty(kyiv, duty)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse)
    assert not AlertNotice.objects.exists()


def test_an_unacknowledged_alert_goes_to_the_next_on_the_rota_after_the_sites_minutes(
    clock, kyiv, course, chair, nurse, physician, duty, second
):
    TreatmentSettings.objects.create(site=kyiv, alert_escalate_after_minutes=7)
    on_duty(kyiv, duty)
    on_duty(kyiv, second)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    # The latest rota entry is on duty first: `second` was told at raising.
    assert set(AlertNotice.objects.values_list("recipient__email", flat=True)) == {
        physician.email,
        second.email,
    }
    system = User.objects.system_actor()
    clock.shift(timedelta(minutes=6))
    assert services.escalate_overdue_alerts(actor=system) == {"escalated": 0, "no_one_left": 0}
    clock.shift(timedelta(minutes=1))
    assert services.escalate_overdue_alerts(actor=system) == {"escalated": 1, "no_one_left": 0}
    alert = VitalAlert.objects.get()
    assert alert.escalated_at == MORNING + timedelta(minutes=7)
    escalation = AlertNotice.objects.get(reason="escalation")
    assert escalation.recipient == duty and escalation.created_at == alert.escalated_at
    assert OutboxMessage.objects.filter(
        recipient=duty.email, dedupe_key=f"chair-alert:{alert.public_id}:{duty.pk}"
    ).exists()
    assert AuditEvent.objects.filter(action="infusion.alert.escalated").count() == 1
    # A second sweep at once changes nothing; with the rota exhausted it says so.
    assert services.escalate_overdue_alerts(actor=system) == {"escalated": 0, "no_one_left": 0}
    clock.shift(timedelta(minutes=7))
    assert services.escalate_overdue_alerts(actor=system) == {"escalated": 0, "no_one_left": 1}
    assert AlertNotice.objects.count() == 3


def test_the_worker_escalates_as_a_periodic_job_and_a_rota_with_nobody_left_fails_its_run(
    clock, kyiv, course, chair, nurse, physician
):
    from clinic.core import jobs
    from clinic.core.models import JobHeartbeat

    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    job = jobs.JOBS["chair_alerts"]
    assert job.period == timedelta(minutes=1)
    clock.shift(timedelta(minutes=30))
    beat = jobs.run_job(job)
    # Nobody is on duty: the overdue alert cannot go anywhere, and the run says so.
    assert beat.last_outcome == JobHeartbeat.Outcome.FAILED
    assert "nobody left on the rota" in beat.last_error
    on_duty(kyiv, physician)
    second = make_user("rota.kyiv@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    on_duty(kyiv, second)
    assert jobs.run_job(job).last_outcome == JobHeartbeat.Outcome.OK
    assert AlertNotice.objects.filter(reason="escalation", recipient=second).exists()


def test_an_acknowledged_alert_is_not_escalated(
    clock, kyiv, course, chair, nurse, physician, duty, second
):
    on_duty(kyiv, duty)
    on_duty(kyiv, second)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    alert = VitalAlert.objects.get()
    with pytest.raises(services.TreatmentRefused):
        services.acknowledge_alert(alert, actor=nurse)
    assert VitalAlert.objects.get().acknowledged_at is None
    services.acknowledge_alert(alert, actor=physician)
    clock.shift(timedelta(minutes=30))
    call_command("escalate_chair_alerts")
    alert.refresh_from_db()
    assert alert.acknowledged_by == physician and alert.closed_at is None
    assert alert.escalated_at is None and alert.notices.count() == 2


def test_closing_offers_the_actions_of_the_kind_and_records_who_did_what(
    clock, kyiv, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    alert = VitalAlert.objects.get()
    codes = [code for code, _label in alert.actions]
    assert codes[0] == "stimulate" and codes[-1] == "continue"
    assert {"oxygen", "slow", "stop", "call"} <= set(codes)
    with pytest.raises(services.TreatmentRefused):
        services.resolve_alert(alert, action="reassure", note="x", actor=nurse)
    assert VitalAlert.objects.get().closed_at is None
    services.resolve_alert(alert, action="oxygen", note="O2 2 л/хв, SpO2 96", actor=nurse)
    alert.refresh_from_db()
    assert (alert.action, alert.note, alert.closed_by) == ("oxygen", "O2 2 л/хв, SpO2 96", nurse)
    assert not AlertNotice.objects.open_for(physician).exists()


def test_the_banner_and_badge_show_on_every_staff_page_for_the_notified_physician(
    clock, kyiv, course, chair, nurse, physician, duty, client
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    client.force_login(physician)
    page = client.get(reverse("dashboard:today")).content.decode()
    assert "chair-alert-banner" in page and "89" in page
    assert reverse("treatment:infusion", args=[session.public_id]) in page
    board_link = f'<a href="{reverse("treatment:board")}"'
    menu_item = page[page.index(board_link) :].split("</li>")[0]
    assert '<span class="nav-count">1' in menu_item
    client.force_login(duty)
    assert "chair-alert-banner" not in client.get(reverse("dashboard:today")).content.decode()
    client.force_login(nurse)
    assert "chair-alert-banner" not in client.get(reverse("dashboard:today")).content.decode()


def test_the_banner_costs_one_query(clock, course, chair, nurse, physician, rf):
    from clinic.core.context_processors import shell
    from clinic.treatment.context_processors import chair_alerts

    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    user = User.objects.get(pk=physician.pk)
    user.site_ids  # noqa: B018 - loaded by the session middleware on a real request
    request = rf.get("/")
    request.user = user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        context = chair_alerts(request)
        shell(request)
    assert len(context["chair_alert_notices"]) == 1
    notice_queries = [q for q in queries.captured_queries if "alertnotice" in q["sql"]]
    assert len(notice_queries) == 1


def test_the_board_shows_the_chair_red_with_the_reason(
    clock, course, chair, nurse, physician, client
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    client.force_login(nurse)
    page = client.get(reverse("treatment:board")).content.decode()
    assert "has-alert" in page
    assert f"{VitalAlert(kind='spo2_low').get_kind_display()} 89" in page


def test_the_session_page_shows_open_alerts_at_the_top(
    clock, course, chair, nurse, physician, client
):
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse, spo2=89)
    client.force_login(physician)
    page = client.get(reverse("treatment:infusion", args=[session.public_id])).content.decode()
    assert page.index('data-testid="open-alert"') < page.index('id="vitals-h"')
    assert reverse("treatment:alert_acknowledge", args=[VitalAlert.objects.get().public_id]) in page
    response = client.post(
        reverse("treatment:alert_acknowledge", args=[VitalAlert.objects.get().public_id])
    )
    assert response.status_code == 302
    assert VitalAlert.objects.get().acknowledged_by == physician


def test_the_sweep_raises_one_overdue_vitals_alert_and_tells_the_physicians(
    clock, kyiv, course, chair, nurse, physician, duty
):
    on_duty(kyiv, duty)
    session = make_session(course, chair, nurse=nurse, physician=physician)
    record(session, nurse)
    system = User.objects.system_actor()
    clock.shift(timedelta(minutes=10))
    assert services.raise_overdue_vitals_alerts(actor=system) == 0
    clock.shift(timedelta(minutes=4))
    assert services.raise_overdue_vitals_alerts(actor=system) == 1
    assert services.raise_overdue_vitals_alerts(actor=system) == 0
    alert = VitalAlert.objects.get()
    assert (alert.kind, alert.value, alert.limit, alert.vitals) == ("vitals_overdue", 4, 10, None)
    assert {n.recipient for n in alert.notices.all()} == {physician, duty}
    assert [code for code, _label in alert.actions][0] == "measure"
    services.resolve_alert(alert, action="measure", note="Виміряно о 09:15", actor=nurse)
    assert VitalAlert.objects.get().closed_by == nurse


def test_every_kind_of_alert_offers_actions_and_continue_is_never_first():
    from clinic.treatment.models import ALERT_ACTIONS

    assert set(ALERT_ACTIONS) == set(VitalAlert.Kind.values)
    assert all(actions[0] != "continue" for actions in ALERT_ACTIONS.values())
