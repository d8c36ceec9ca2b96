"""Moving and cancelling visits in the portal: within the site's policy it goes through the
scheduling services; outside it is refused with the reason and nothing is written."""

import pytest
from django.urls import reverse

from clinic.core.models import AuditEvent
from clinic.portal import rules
from clinic.portal.tests.conftest import at, sign_in
from clinic.scheduling.availability import find_slots
from clinic.scheduling.models import Appointment, AppointmentEvent


def slot_at(appointment, starts_at):
    day = starts_at.date()
    for slot in find_slots(
        appointment.visit_type,
        sites=[appointment.site],
        first_day=day,
        last_day=day,
        patient=appointment.patient,
        exclude=appointment,
    ):
        if slot.starts_at == starts_at:
            return slot
    raise AssertionError(f"no free slot at {starts_at}")


def snapshot(appointment):
    appointment.refresh_from_db()
    return (
        appointment.starts_at,
        appointment.status,
        AppointmentEvent.objects.filter(appointment=appointment).count(),
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS).count(),
    )


@pytest.mark.django_db
def test_moving_a_visit_within_policy_goes_through_scheduling(portal_client, policy, follow_up):
    slot = slot_at(follow_up, at(6, 14))
    response = portal_client.post(
        reverse("portal:visit", args=[follow_up.public_id]), {"slot": slot.key}
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.starts_at == at(6, 14)
    moved = AppointmentEvent.objects.get(appointment=follow_up, kind="moved")
    assert moved.by.email == "portal@clinic.invalid"
    assert AuditEvent.objects.filter(
        action="appointment.moved", patient=follow_up.patient, actor=moved.by
    ).exists()


@pytest.mark.django_db
def test_an_infusion_too_close_to_the_next_is_refused_with_the_reason(
    portal_client, policy, infusions
):
    first, second = infusions
    before = snapshot(first)
    slot = slot_at(first, at(10, 10))  # the day after the second infusion
    response = portal_client.post(
        reverse("portal:visit", args=[first.public_id]), {"slot": slot.key}, follow=True
    )
    assert "at least 2 days apart" in response.content.decode()
    assert snapshot(first) == before
    assert AuditEvent.objects.filter(
        action="portal.visit.move_refused", outcome=AuditEvent.Outcome.DENIED
    ).exists()


@pytest.mark.django_db
def test_an_infusion_moves_inside_the_course_with_the_gap_kept(portal_client, policy, infusions):
    first, second = infusions
    slot = slot_at(first, at(5, 10))
    response = portal_client.post(
        reverse("portal:visit", args=[first.public_id]), {"slot": slot.key}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.starts_at == at(5, 10)


@pytest.mark.django_db
def test_a_visit_inside_the_notice_period_cannot_be_moved_or_cancelled(
    portal_client, account, policy, follow_up, frozen
):
    frozen.move_to(at(4, 13))  # 23 hours before the visit
    sign_in(portal_client, account)  # the earlier portal session has timed out meanwhile
    before = snapshot(follow_up)
    page = portal_client.get(reverse("portal:visit", args=[follow_up.public_id]))
    assert "at least 24 hours before it" in page.content.decode()
    response = portal_client.post(
        reverse("portal:cancel", args=[follow_up.public_id]), {"reason": "x"}, follow=True
    )
    assert "at least 24 hours before it" in response.content.decode()
    assert snapshot(follow_up) == before


@pytest.mark.django_db
def test_a_visit_type_not_in_the_policy_is_changed_by_phone(
    portal_client, policy, clinic, visit, patient, users
):
    from clinic.accounts.roles import Role
    from clinic.scheduling import services as scheduling

    therapy = scheduling.book_appointment(
        patient,
        visit_type=visit["psychotherapy"],
        site=patient.home_site,
        starts_at=at(6, 12),
        practitioner=users[(Role.PSYCHOTHERAPIST, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=users[(Role.RECEPTIONIST, "kyiv")],
    )
    before = snapshot(therapy)
    response = portal_client.post(
        reverse("portal:cancel", args=[therapy.public_id]), {"reason": ""}, follow=True
    )
    assert "by phoning the centre" in response.content.decode()
    assert snapshot(therapy) == before


@pytest.mark.django_db
def test_cancelling_within_policy_cancels_the_visit(portal_client, policy, follow_up):
    response = portal_client.post(
        reverse("portal:cancel", args=[follow_up.public_id]), {"reason": "ill"}
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == Appointment.Status.CANCELLED
    assert "portal" in follow_up.cancel_reason


def test_policy_rules_refuse_outside_the_course_window():
    from datetime import date, datetime, timedelta

    from django.utils import timezone

    now = timezone.make_aware(datetime(2026, 3, 2, 8))
    policy = rules.Policy(24, frozenset(), frozenset({7}), 3)
    visit = rules.Visit(7, now + timedelta(days=5), True)
    window = rules.CourseWindow(active=True, opens=date(2026, 3, 1), closes=date(2026, 3, 8))
    assert "outside" in rules.move_refusal(
        policy, visit, now + timedelta(days=9), now, course=window
    )
    assert rules.move_refusal(policy, visit, now + timedelta(days=4), now, course=window) is None
    assert "approved course" in rules.move_refusal(
        policy, visit, now + timedelta(days=4), now, course=None
    )
    assert "apart" in rules.move_refusal(
        policy,
        visit,
        now + timedelta(days=4),
        now,
        other_infusions=[now + timedelta(days=6)],
        course=window,
    )
