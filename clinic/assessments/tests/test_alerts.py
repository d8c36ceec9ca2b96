"""Safety answers reach a clinician: alert in the same transaction, notification, acknowledgement
with the action taken, escalation to the on-duty physician."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.assessments import services
from clinic.assessments.models import AlertEvent, Assessment, OnDutyPhysician, SafetyAlert
from clinic.assessments.tests.factories import phq9_with_total
from clinic.conftest import make_patient, make_user
from clinic.core.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-1")


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def nurse(users):
    return users[(Role.NURSE, "kyiv")]


def record(patient, answers, actor, code="phq9"):
    """A staff entry, confirmed where a safety item is positive."""
    return services.record_assessment(patient, code, answers, actor=actor, safety_confirmed=True)


def test_a_staff_entered_item_9_raises_an_alert_and_tells_the_site_physicians(
    patient, nurse, physician, users
):
    assessment = record(patient, phq9_with_total(10, item9=2), nurse)
    alert = SafetyAlert.objects.get(assessment=assessment)
    assert alert.site == patient.home_site and alert.status == "open"
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {physician.email}  # not Lviv's physician
    assert users[(Role.PHYSICIAN, "lviv")].email not in recipients
    kinds = list(alert.events.values_list("kind", flat=True))
    assert kinds == ["raised", "notified"]
    assert AuditEvent.objects.filter(action="assessment.alert.raised").count() == 1


def test_the_patients_own_physician_is_told_instead_of_the_whole_site(kyiv, nurse, users):
    own = make_user("own@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    patient = make_patient(kyiv, "K-2", physician=own)
    record(patient, phq9_with_total(3, item9=1), nurse)
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == [own.email]


@pytest.mark.parametrize(
    "code,answers,flag",
    [
        ("epds", [3, 3, 0, 3, 3, 3, 3, 3, 3, 2], "epds_item10"),  # item 10 position 2 scores 1
        ("qids_sr16", [0] * 11 + [1] + [0] * 4, "qids_item12"),
        ("madrs", [0] * 9 + [2], "madrs_item10"),
        ("cssrs", [1, 1, 1, 0, 0, 0, None], "cssrs_moderate"),
        ("cssrs", [0, 0, None, None, None, 1, 1], "cssrs_high"),
    ],
)
def test_each_safety_rule_creates_an_alert(patient, nurse, code, answers, flag):
    assessment = record(patient, answers, nurse, code)
    assert SafetyAlert.objects.get(assessment=assessment).flag_list == [flag]


def test_no_alert_below_the_safety_rules(patient, nurse):
    record(patient, phq9_with_total(20, item9=0), nurse)
    record(patient, [1, 0, None, None, None, 0, None], nurse, "cssrs")  # low risk
    assert not SafetyAlert.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_madrs_alert_level_follows_the_clinics_setting(patient, nurse, users):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    services.save_scale_settings(
        "madrs",
        values={"alert_item_min": 3},
        provenance="Медичний директор, 01.12.2026",
        actor=admin,
    )
    record(patient, [0] * 9 + [2], nurse, "madrs")
    assert not SafetyAlert.objects.exists()
    record(patient, [0] * 9 + [3], nurse, "madrs")
    assert SafetyAlert.objects.count() == 1


def test_an_alert_is_rolled_back_with_the_answer_that_raised_it(patient, nurse):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(patient, phq9_with_total(5, item9=1), nurse)
        raise RuntimeError("the request failed after the save")
    assert not Assessment.objects.exists()
    assert not SafetyAlert.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_it_rejects_an_acknowledgement_without_the_action_taken(patient, nurse, physician):
    alert = SafetyAlert.objects.get(assessment=record(patient, phq9_with_total(5, 1), nurse))
    with pytest.raises(services.AssessmentRefused):
        services.acknowledge_alert(alert, action_taken="   ", actor=physician)
    alert.refresh_from_db()
    assert alert.status == "open" and alert.acknowledged_by is None
    assert not alert.events.filter(kind="acknowledged").exists()


def test_acknowledging_records_who_what_and_when(client, patient, nurse, physician):
    alert = SafetyAlert.objects.get(assessment=record(patient, phq9_with_total(5, 1), nurse))
    client.force_login(physician)
    response = client.post(
        f"/staff/assessments/alerts/{alert.public_id}/acknowledge/",
        {"action_taken": "Зателефонувала, план безпеки, огляд сьогодні о 15:00"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == physician
    assert alert.action_taken.startswith("Зателефонувала")
    assert AuditEvent.objects.filter(
        action="assessment.alert.acknowledged", actor=physician
    ).exists()
    again = client.post(
        f"/staff/assessments/alerts/{alert.public_id}/acknowledge/", {"action_taken": "ще раз"}
    )
    assert again.status_code == 302
    assert SafetyAlert.objects.get(pk=alert.pk).action_taken.startswith("Зателефонувала")


def test_alerts_page_lists_only_the_physicians_sites_and_counts_in_the_menu(
    client, kyiv, lviv, nurse, physician, users
):
    record(make_patient(kyiv, "K-5", family_name="Київська"), phq9_with_total(5, 1), nurse)
    record(
        make_patient(lviv, "L-5", family_name="Львівська"),
        phq9_with_total(5, 1),
        users[(Role.NURSE, "lviv")],
    )
    client.force_login(physician)
    page = client.get("/staff/assessments/alerts/").content.decode()
    assert "Київська" in page and "Львівська" not in page
    assert '<span class="nav-count">1<' in page


def test_another_sites_alert_is_not_found_and_the_attempt_is_audited(
    client, lviv, physician, users
):
    other = make_patient(lviv, "L-1")
    alert = SafetyAlert.objects.get(
        assessment=record(other, phq9_with_total(5, 1), users[(Role.NURSE, "lviv")])
    )
    client.force_login(physician)
    assert client.get(f"/staff/assessments/alerts/{alert.public_id}/").status_code == 404
    response = client.post(
        f"/staff/assessments/alerts/{alert.public_id}/acknowledge/", {"action_taken": "x"}
    )
    assert response.status_code == 404
    assert SafetyAlert.objects.get(pk=alert.pk).status == "open"
    assert AuditEvent.objects.filter(
        action="assessment.alert.viewed", outcome="denied", actor=physician
    ).exists()


def test_nurses_do_not_get_the_alert_inbox(client, nurse):
    client.force_login(nurse)
    assert client.get("/staff/assessments/alerts/").status_code == 403


def test_an_unacknowledged_alert_goes_to_the_on_duty_physician_after_the_set_time(
    kyiv, patient, nurse, users
):
    duty = make_user("duty@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    today = timezone.localdate()
    OnDutyPhysician.objects.create(
        site=kyiv,
        physician=duty,
        starts_on=today,
        ends_on=today + timedelta(days=1),
        created_by=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    alert = SafetyAlert.objects.get(assessment=record(patient, phq9_with_total(5, 1), nurse))
    system = User.objects.system_actor()
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert services.escalate_overdue_alerts(actor=system)["escalated"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        call_command("escalate_alerts")
        call_command("escalate_alerts")  # a second sweep changes nothing
    alert.refresh_from_db()
    assert alert.escalated_to == duty and alert.escalated_at is not None
    assert (
        OutboxMessage.objects.filter(
            recipient=duty.email, dedupe_key__contains=":escalated:"
        ).count()
        == 1
    )
    assert alert.events.filter(kind="escalated").count() == 1
    assert AuditEvent.objects.filter(action="assessment.alert.escalated").count() == 1


def test_an_acknowledged_alert_is_not_escalated(kyiv, patient, nurse, physician, users):
    OnDutyPhysician.objects.create(
        site=kyiv,
        physician=physician,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        created_by=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    alert = SafetyAlert.objects.get(assessment=record(patient, phq9_with_total(5, 1), nurse))
    services.acknowledge_alert(alert, action_taken="Огляд", actor=physician)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        counts = services.escalate_overdue_alerts(actor=User.objects.system_actor())
    assert counts == {"escalated": 0, "no_one_on_duty": 0}


def test_without_anyone_on_duty_the_gap_is_recorded_once_and_the_command_fails(patient, nurse):
    alert = SafetyAlert.objects.get(assessment=record(patient, phq9_with_total(5, 1), nurse))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        with pytest.raises(CommandError):
            call_command("escalate_alerts")
        with pytest.raises(CommandError):
            call_command("escalate_alerts")
    alert.refresh_from_db()
    assert alert.escalated_at is None
    assert alert.events.filter(kind=AlertEvent.Kind.NO_ONE_ON_DUTY).count() == 1
    assert (
        AuditEvent.objects.filter(
            action="assessment.alert.escalation_failed", outcome="failed"
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    "code,answers,flags,items",
    [
        ("phq9", phq9_with_total(5, item9=1), ("phq9_item9",), (8,)),
        ("epds", [0, 0, 3, 0, 3, 3, 3, 3, 3, 2], ("epds_item10",), (9,)),
        ("cssrs", [1, 1, 1, 0, 0, 0, None], ("cssrs_moderate",), (0, 1, 2)),
        ("cssrs", [0, 0, None, None, None, 1, 1], ("cssrs_high",), (5, 6)),
    ],
)
def test_an_unconfirmed_safety_item_is_refused_and_nothing_written(
    patient, nurse, code, answers, flags, items
):
    with pytest.raises(services.SafetyConfirmationNeeded) as refusal:
        services.record_assessment(patient, code, answers, actor=nurse)
    assert (refusal.value.flags, refusal.value.items) == (flags, items)
    assert not Assessment.objects.exists()
    assert not SafetyAlert.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.exists()


def test_entries_without_a_safety_item_need_no_confirmation(patient, nurse):
    services.record_assessment(patient, "phq9", phq9_with_total(20, item9=0), actor=nurse)
    services.record_assessment(patient, "cssrs", [1, 1, 0, 0, 0, 0, None], actor=nurse)
    assert Assessment.objects.count() == 2
    assert not SafetyAlert.objects.exists()
