"""Booking, moving, cancelling and the status of one visit."""

from datetime import date, time, timedelta

import pytest

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.locations.models import Closure, Room
from clinic.scheduling import services
from clinic.scheduling.models import Absence, Appointment, AppointmentEvent, Notification
from clinic.scheduling.rules import BookingRefused, SlotTaken
from clinic.scheduling.tests.conftest import at, second_nurse

pytestmark = pytest.mark.usefixtures("frozen")


def book(patient, visit_type, site, starts_at, practitioner, room=None, actor=None):
    return services.book_appointment(
        patient,
        visit_type=visit_type,
        site=site,
        starts_at=starts_at,
        practitioner=practitioner,
        room=room,
        actor=actor or practitioner,
    )


def test_a_booking_keeps_history_confirmation_reminder_and_audit(
    visit, clinic, kyiv, users, patient, reception
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    appointment = book(
        patient,
        visit["first_consultation"],
        kyiv,
        at(3, 10),
        doctor,
        clinic["kyiv"]["consulting"],
        reception,
    )
    assert appointment.ends_at == at(3, 11)
    assert appointment.blocked_until == at(3, 11, 10)  # ten minutes of clearing up
    assert [e.kind for e in appointment.events.all()] == [AppointmentEvent.Kind.BOOKED]
    kinds = sorted(appointment.notifications.values_list("kind", "state"))
    assert kinds == [("confirmation", "queued"), ("reminder", "scheduled")]
    reminder = appointment.notifications.get(kind="reminder")
    assert reminder.send_after == at(2, 10)  # 24 hours before
    confirmation = OutboxMessage.objects.get()
    assert "10:00" in confirmation.body
    assert "консультац" not in confirmation.body.lower()  # no visit type in the message
    assert AuditEvent.objects.filter(action="appointment.booked", patient=patient).exists()


def test_it_refuses_a_second_visit_with_the_same_practitioner_and_writes_nothing(
    visit, clinic, kyiv, users, patient, other_patient
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    book(patient, visit["follow_up"], kyiv, at(3, 10), doctor, clinic["kyiv"]["consulting"])
    before = (Appointment.objects.count(), OutboxMessage.objects.count())
    with pytest.raises(SlotTaken, match="already has a visit"):
        book(
            other_patient,
            visit["follow_up"],
            kyiv,
            at(3, 10, 15),
            doctor,
            clinic["kyiv"]["consulting"],
        )
    assert (Appointment.objects.count(), OutboxMessage.objects.count()) == before


def test_the_clearing_up_time_keeps_the_chair_busy(
    visit, clinic, kyiv, users, patient, other_patient
):
    chair = clinic["kyiv"]["chair1"]
    book(patient, visit["ketamine_infusion"], kyiv, at(3, 10), users[(Role.NURSE, "kyiv")], chair)
    other_nurse = second_nurse(kyiv)
    # The first infusion ends 12:30 and the chair is cleared until 12:45; the next one needs
    # 15 minutes of preparation too, so 12:45 is too early and 13:00 is the first fit.
    with pytest.raises(SlotTaken, match="Крісло 1"):
        book(other_patient, visit["ketamine_infusion"], kyiv, at(3, 12, 45), other_nurse, chair)
    later = book(other_patient, visit["ketamine_infusion"], kyiv, at(3, 13), other_nurse, chair)
    assert later.blocked_from == at(3, 12, 45)


def test_a_patient_cannot_be_in_two_places_at_once(visit, clinic, kyiv, users, patient):
    book(
        patient,
        visit["follow_up"],
        kyiv,
        at(3, 10),
        users[(Role.PHYSICIAN, "kyiv")],
        clinic["kyiv"]["consulting"],
    )
    room2 = Room.objects.create(site=kyiv, name="Кабінет 2", kind="consulting")
    with pytest.raises(SlotTaken, match="patient already has a visit"):
        book(
            patient,
            visit["psychotherapy"],
            kyiv,
            at(3, 10, 15),
            users[(Role.PSYCHOTHERAPIST, "kyiv")],
            room2,
        )


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (at(3, 18, 30), "opening hours"),
        (at(7, 10), "opening hours"),  # Saturday
        (at(2, 7), "already passed"),
    ],
)
def test_times_outside_the_day_are_refused(visit, clinic, kyiv, users, patient, starts_at, message):
    with pytest.raises(BookingRefused, match=message):
        book(
            patient,
            visit["first_consultation"],
            kyiv,
            starts_at,
            users[(Role.PHYSICIAN, "kyiv")],
            clinic["kyiv"]["consulting"],
        )
    assert not Appointment.objects.exists()


def test_a_closed_site_and_an_absent_practitioner_are_refused(visit, clinic, kyiv, users, patient):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    Closure.objects.create(
        site=kyiv,
        starts_on=date(2026, 3, 4),
        ends_on=date(2026, 3, 4),
        reason="works",
        created_by=doctor,
    )
    Absence.objects.create(
        practitioner=doctor,
        kind="sick",
        starts_on=date(2026, 3, 5),
        ends_on=date(2026, 3, 5),
        created_by=doctor,
    )
    room = clinic["kyiv"]["consulting"]
    with pytest.raises(BookingRefused, match="closed"):
        book(patient, visit["follow_up"], kyiv, at(4, 10), doctor, room)
    with pytest.raises(BookingRefused, match="absent"):
        book(patient, visit["follow_up"], kyiv, at(5, 10), doctor, room)
    assert not Appointment.objects.exists()


def test_an_infusion_needs_a_physician_on_site_for_the_whole_visit(
    visit, clinic, kyiv, users, patient
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    doctor.working_hours.filter(weekday=2).update(ends=time(12))
    infusion = visit["ketamine_infusion"]
    nurse, chair = users[(Role.NURSE, "kyiv")], clinic["kyiv"]["chair1"]
    with pytest.raises(BookingRefused, match="No physician"):
        book(patient, infusion, kyiv, at(3, 10), nurse, chair)  # ends 12:30
    assert book(patient, infusion, kyiv, at(3, 9, 15), nurse, chair)  # ends 11:45


def test_resources_must_fit_the_visit_type(visit, clinic, kyiv, lviv, users, patient):
    with pytest.raises(BookingRefused, match="cannot take this kind"):
        book(
            patient,
            visit["ketamine_infusion"],
            kyiv,
            at(3, 10),
            users[(Role.RECEPTIONIST, "kyiv")],
            clinic["kyiv"]["chair1"],
        )
    with pytest.raises(BookingRefused, match="needs"):
        book(patient, visit["ketamine_infusion"], kyiv, at(3, 10), users[(Role.NURSE, "kyiv")])
    with pytest.raises(BookingRefused, match="cannot be used"):
        book(
            patient,
            visit["ketamine_infusion"],
            kyiv,
            at(3, 10),
            users[(Role.NURSE, "kyiv")],
            clinic["kyiv"]["consulting"],
        )
    with pytest.raises(BookingRefused, match="does not work at"):
        book(
            patient,
            visit["follow_up"],
            kyiv,
            at(3, 10),
            users[(Role.PHYSICIAN, "lviv")],
            clinic["kyiv"]["consulting"],
        )
    assert not Appointment.objects.exists()


def test_moving_a_visit_withdraws_the_old_reminder_and_schedules_a_new_one(
    visit, clinic, kyiv, users, patient, reception
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    appointment = book(
        patient,
        visit["follow_up"],
        kyiv,
        at(4, 10),
        doctor,
        clinic["kyiv"]["consulting"],
        reception,
    )
    services.reschedule_appointment(appointment, starts_at=at(5, 14), actor=reception)
    reminders = appointment.notifications.filter(kind="reminder").order_by("pk")
    assert [(r.state, r.for_starts_at) for r in reminders] == [
        ("dropped", at(4, 10)),
        ("scheduled", at(5, 14)),
    ]
    change = appointment.notifications.get(kind="change")
    assert "14:00" in change.message.body
    moved = appointment.events.get(kind="moved")
    assert moved.previous_starts_at == at(4, 10)


def test_cancelling_needs_a_reason_and_then_sends_no_reminder(
    visit, clinic, kyiv, users, patient, reception
):
    appointment = book(
        patient,
        visit["follow_up"],
        kyiv,
        at(4, 10),
        users[(Role.PHYSICIAN, "kyiv")],
        clinic["kyiv"]["consulting"],
        reception,
    )
    with pytest.raises(BookingRefused, match="reason"):
        services.cancel_appointment(appointment, reason="  ", actor=reception)
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    services.cancel_appointment(appointment, reason="Пацієнтка захворіла", actor=reception)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.notifications.get(kind="reminder").state == "dropped"
    assert appointment.notifications.get(kind="cancellation").state == "queued"


def test_statuses_follow_the_allowed_steps(visit, clinic, kyiv, users, patient, reception, frozen):
    appointment = book(
        patient,
        visit["follow_up"],
        kyiv,
        at(2, 12),
        users[(Role.PHYSICIAN, "kyiv")],
        clinic["kyiv"]["consulting"],
        reception,
    )
    with pytest.raises(BookingRefused):
        services.complete_appointment(appointment, actor=reception)
    with pytest.raises(BookingRefused, match="not begun"):
        services.mark_no_show(appointment, actor=reception)
    services.check_in_appointment(appointment, actor=reception)
    services.complete_appointment(appointment, actor=reception)
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert [e.status for e in appointment.events.all()] == ["booked", "checked_in", "completed"]
    with pytest.raises(BookingRefused):
        services.cancel_appointment(appointment, reason="late", actor=reception)


def test_a_missed_visit_can_be_marked_after_it_began(
    visit, clinic, kyiv, users, patient, reception, frozen
):
    appointment = book(
        patient,
        visit["follow_up"],
        kyiv,
        at(2, 12),
        users[(Role.PHYSICIAN, "kyiv")],
        clinic["kyiv"]["consulting"],
        reception,
    )
    frozen.move_to(at(2, 12, 20))
    services.mark_no_show(appointment, actor=reception)
    assert Appointment.objects.get().status == "no_show"
    assert Notification.objects.filter(kind="reminder").count() == 0  # booked at short notice


def test_a_cancelled_time_is_free_again(
    visit, clinic, kyiv, users, patient, other_patient, reception
):
    doctor, room = users[(Role.PHYSICIAN, "kyiv")], clinic["kyiv"]["consulting"]
    first = book(patient, visit["follow_up"], kyiv, at(4, 10), doctor, room, reception)
    services.cancel_appointment(first, reason="changed plans", actor=reception)
    again = book(other_patient, visit["follow_up"], kyiv, at(4, 10), doctor, room, reception)
    assert again.status == "booked"
    assert Appointment.objects.active().count() == 1
    assert Appointment.objects.on(date(2026, 3, 4)).count() == 2
    assert list(Appointment.objects.between(at(4, 10, 10), at(4, 10, 20))) == [first, again]
    assert timedelta(minutes=30) == again.ends_at - again.starts_at


def test_an_old_and_a_future_absence_do_not_take_the_physician_off_site_today(
    visit, clinic, kyiv, users, patient
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    Absence.objects.create(
        practitioner=doctor,
        kind="leave",
        starts_on=date(2026, 2, 2),
        ends_on=date(2026, 2, 6),
        created_by=doctor,
    )
    Absence.objects.create(
        practitioner=doctor,
        kind="leave",
        starts_on=date(2026, 4, 6),
        ends_on=date(2026, 4, 10),
        created_by=doctor,
    )
    appointment = book(
        patient,
        visit["ketamine_infusion"],
        kyiv,
        at(3, 10),
        users[(Role.NURSE, "kyiv")],
        clinic["kyiv"]["chair1"],
    )
    assert appointment.status == "booked"


def test_questionnaires_before_visits_see_only_booked_visits_in_the_window(
    visit, clinic, kyiv, users, patient, other_patient, reception
):
    from clinic.assessments.visits import Visit, upcoming_visits

    doctor, nurse = users[(Role.PHYSICIAN, "kyiv")], users[(Role.NURSE, "kyiv")]
    kept = book(
        patient, visit["ketamine_infusion"], kyiv, at(3, 10), nurse, clinic["kyiv"]["chair1"]
    )
    dropped = book(
        other_patient, visit["follow_up"], kyiv, at(3, 12), doctor, clinic["kyiv"]["consulting"]
    )
    services.cancel_appointment(dropped, reason="patient ill", actor=reception)
    book(other_patient, visit["follow_up"], kyiv, at(5, 12), doctor, clinic["kyiv"]["consulting"])

    found = upcoming_visits(at(3, 0), at(4, 0))

    assert found == [
        Visit(patient.pk, "ketamine_infusion", at(3, 10), str(kept.public_id)),
    ]
