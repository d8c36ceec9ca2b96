"""Courses booked in one step (every occurrence checked, all or nothing) and the waitlist."""

from datetime import date, time, timedelta

import pytest

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import OutboxMessage
from clinic.scheduling import services
from clinic.scheduling.models import Appointment, Series, WaitlistEntry
from clinic.scheduling.rules import BookingRefused
from clinic.scheduling.services import SeriesRefused
from clinic.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def infusion_setup(visit, clinic, kyiv, users):
    return {
        "visit_type": visit["ketamine_infusion"],
        "site": kyiv,
        "practitioner": users[(Role.NURSE, "kyiv")],
        "room": clinic["kyiv"]["chair1"],
    }


def plan(patient, setup, first=None, count=6, weekdays=(1, 4)):
    return services.plan_series(
        patient,
        visit_type=setup["visit_type"],
        site=setup["site"],
        first_start=first or at(3, 10),
        practitioner=setup["practitioner"],
        room=setup["room"],
        count=count,
        weekdays=set(weekdays),
    )


def test_a_course_of_six_infusions_twice_a_week_is_planned_on_the_right_days(
    infusion_setup, patient
):
    occurrences = plan(patient, infusion_setup, weekdays=(2, 5))
    days = [o.starts_at for o in occurrences]
    assert days == [at(3, 10), at(6, 10), at(10, 10), at(13, 10), at(17, 10), at(20, 10)]
    assert not any(o.problem for o in occurrences)


def test_a_conflict_in_week_three_is_shown_with_alternatives_and_nothing_is_saved(
    infusion_setup, patient, other_patient, reception
):
    # Someone already has the chair and the nurse on the fifth date (week three).
    services.book_appointment(
        other_patient,
        visit_type=infusion_setup["visit_type"],
        site=infusion_setup["site"],
        starts_at=at(17, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    occurrences = plan(patient, infusion_setup, weekdays=(2, 5))
    problems = [o for o in occurrences if o.problem]
    assert [o.number for o in problems] == [5]
    assert "already has a visit" in problems[0].problem
    assert problems[0].alternatives
    assert all(a.starts_at != at(17, 10) for a in problems[0].alternatives)
    assert Appointment.objects.filter(patient=patient).count() == 0
    # Booking as first planned is refused whole: not even the four free dates are saved.
    with pytest.raises(SeriesRefused) as refusal:
        services.book_series(
            patient,
            visit_type=infusion_setup["visit_type"],
            site=infusion_setup["site"],
            occurrences=[(o.starts_at, o.practitioner, o.room) for o in occurrences],
            actor=reception,
        )
    assert [n for n, _ in refusal.value.problems] == [5]
    assert Appointment.objects.filter(patient=patient).count() == 0
    assert not Series.objects.exists()
    # With the alternative chosen, the whole course is booked.
    chosen = [
        (o.starts_at, o.practitioner, o.room)
        if not o.problem
        else (o.alternatives[0].starts_at, o.alternatives[0].practitioner, o.alternatives[0].room)
        for o in occurrences
    ]
    series, appointments = services.book_series(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=infusion_setup["site"],
        occurrences=chosen,
        actor=reception,
    )
    assert len(appointments) == 6 and {a.series for a in appointments} == {series}
    assert appointments[0].notifications.filter(kind="confirmation").count() == 1
    assert Appointment.objects.filter(series=series, notifications__kind="reminder").count() == 6


def test_a_series_whose_dates_clash_with_each_other_is_refused(infusion_setup, patient, reception):
    with pytest.raises(SeriesRefused):
        services.book_series(
            patient,
            visit_type=infusion_setup["visit_type"],
            site=infusion_setup["site"],
            occurrences=[
                (at(3, 10), infusion_setup["practitioner"], infusion_setup["room"]),
                (at(3, 11), infusion_setup["practitioner"], infusion_setup["room"]),
            ],
            actor=reception,
        )
    assert not Appointment.objects.exists()


def test_a_ten_session_tes_course_is_booked(visit, clinic, kyiv, users, patient, reception):
    occurrences = services.plan_series(
        patient,
        visit_type=visit["tes_session"],
        site=kyiv,
        first_start=at(2, 12),
        practitioner=users[(Role.NURSE, "kyiv")],
        room=clinic["kyiv"]["tes"],
        count=10,
        weekdays={1, 2, 3, 4, 5},
    )
    assert not [o for o in occurrences if o.problem]
    _, appointments = services.book_series(
        patient,
        visit_type=visit["tes_session"],
        site=kyiv,
        occurrences=[(o.starts_at, o.practitioner, o.room) for o in occurrences],
        actor=reception,
    )
    assert len(appointments) == 10
    assert local_days(appointments)[-1] == date(2026, 3, 13)


def local_days(appointments):
    from clinic.scheduling.clock import local

    return [local(a.starts_at).date() for a in appointments]


def book_course(setup, patient, reception):
    occurrences = plan(patient, setup, weekdays=(2, 5))
    return services.book_series(
        patient,
        visit_type=setup["visit_type"],
        site=setup["site"],
        occurrences=[(o.starts_at, o.practitioner, o.room) for o in occurrences],
        actor=reception,
    )[1]


def test_moving_one_occurrence_leaves_the_rest_of_the_series(infusion_setup, patient, reception):
    appointments = book_course(infusion_setup, patient, reception)
    services.reschedule_appointment(appointments[2], starts_at=at(11, 10), actor=reception)
    starts = [a.starts_at for a in Appointment.objects.filter(series=appointments[0].series)]
    assert starts == [at(3, 10), at(6, 10), at(11, 10), at(13, 10), at(17, 10), at(20, 10)]


def test_moving_the_rest_of_the_series_shifts_every_later_visit(infusion_setup, patient, reception):
    appointments = book_course(infusion_setup, patient, reception)
    services.reschedule_rest_of_series(appointments[3], starts_at=at(13, 13), actor=reception)
    starts = [a.starts_at for a in Appointment.objects.filter(series=appointments[0].series)]
    assert starts == [at(3, 10), at(6, 10), at(10, 10), at(13, 13), at(17, 13), at(20, 13)]
    assert (
        Appointment.objects.get(pk=appointments[5].pk)
        .notifications.filter(kind="reminder", state="scheduled", for_starts_at=at(20, 13))
        .exists()
    )


def test_moving_the_rest_is_all_or_nothing(infusion_setup, patient, other_patient, reception):
    appointments = book_course(infusion_setup, patient, reception)
    services.book_appointment(
        other_patient,
        visit_type=infusion_setup["visit_type"],
        site=infusion_setup["site"],
        starts_at=at(20, 14),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    with pytest.raises(SeriesRefused):
        services.reschedule_rest_of_series(appointments[3], starts_at=at(13, 14), actor=reception)
    starts = [a.starts_at for a in Appointment.objects.filter(series=appointments[0].series)]
    assert starts[3:] == [at(13, 10), at(17, 10), at(20, 10)]


def test_cancelling_the_rest_of_the_series_keeps_the_earlier_visits(
    infusion_setup, patient, reception
):
    appointments = book_course(infusion_setup, patient, reception)
    cancelled = services.cancel_rest_of_series(appointments[4], reason="Ремісія", actor=reception)
    assert len(cancelled) == 2
    statuses = list(
        Appointment.objects.filter(series=appointments[0].series).values_list("status", flat=True)
    )
    assert statuses == ["booked"] * 4 + ["cancelled"] * 2


# --- Waitlist --------------------------------------------------------------------------------


def wait(patient, setup, reception, priority=3, **fields):
    return services.add_to_waitlist(
        patient,
        visit_type=setup["visit_type"],
        site=setup["site"],
        earliest_on=fields.pop("earliest_on", date(2026, 3, 2)),
        latest_on=fields.pop("latest_on", date(2026, 3, 31)),
        priority=priority,
        actor=reception,
        **fields,
    )


def test_a_freed_place_goes_to_the_first_eligible_entry_on_hold_and_the_rest_keep_order(
    infusion_setup, kyiv, patient, reception, settings
):
    settings.WAITLIST_HOLD_MINUTES = 60
    booked = services.book_appointment(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    normal = wait(make_patient(kyiv, "W-1", phone="+380501110001"), infusion_setup, reception)
    afternoons = wait(
        make_patient(kyiv, "W-2"), infusion_setup, reception, priority=1, day_starts=time(13)
    )
    urgent = wait(
        make_patient(kyiv, "W-3", phone="+380501110003"), infusion_setup, reception, priority=1
    )
    services.cancel_appointment(booked, reason="Захворіла", actor=reception)
    for entry in (normal, afternoons, urgent):
        entry.refresh_from_db()
    assert urgent.status == "offered"  # urgent, and 10:00 fits its window
    assert (afternoons.status, normal.status) == ("waiting", "waiting")
    held = urgent.offer
    assert held.status == "held" and held.starts_at == at(4, 10)
    assert held.hold_until == at(2, 9)
    offer_text = OutboxMessage.objects.get(recipient="+380501110003").body
    assert "10:00" in offer_text
    # The held place is not offered to anyone else, nor bookable by reception.
    with pytest.raises(BookingRefused):
        services.book_appointment(
            make_patient(kyiv, "W-4"),
            visit_type=infusion_setup["visit_type"],
            site=kyiv,
            starts_at=at(4, 10),
            practitioner=infusion_setup["practitioner"],
            room=infusion_setup["room"],
            actor=reception,
        )


def test_a_declined_offer_passes_to_the_next_in_line(infusion_setup, kyiv, patient, reception):
    booked = services.book_appointment(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    first = wait(make_patient(kyiv, "W-1"), infusion_setup, reception, priority=2)
    second = wait(make_patient(kyiv, "W-2"), infusion_setup, reception, priority=3)
    services.cancel_appointment(booked, reason="Захворіла", actor=reception)
    services.decline_offer(WaitlistEntry.objects.get(pk=first.pk), actor=reception)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "waiting" and second.status == "offered"
    assert list(first.events.values_list("reason", flat=True)) == ["added", "offered", "declined"]
    held = services.confirm_offer(second, actor=reception)
    assert held.status == "booked"
    second.refresh_from_db()
    assert second.status == "booked"


def test_an_expired_hold_is_passed_on_and_no_longer_blocks(
    infusion_setup, kyiv, patient, reception, frozen
):
    booked = services.book_appointment(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    first = wait(make_patient(kyiv, "W-1"), infusion_setup, reception, priority=1)
    second = wait(make_patient(kyiv, "W-2"), infusion_setup, reception, priority=2)
    services.cancel_appointment(booked, reason="Захворіла", actor=reception)
    frozen.shift(timedelta(hours=3))
    with pytest.raises(BookingRefused, match="run out"):
        services.confirm_offer(WaitlistEntry.objects.get(pk=first.pk), actor=reception)
    assert services.release_expired_offers(actor=reception) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "waiting" and second.status == "offered"


def test_an_entry_outside_its_window_is_not_offered(infusion_setup, kyiv, patient, reception):
    booked = services.book_appointment(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    later = wait(
        make_patient(kyiv, "W-1"), infusion_setup, reception, earliest_on=date(2026, 3, 10)
    )
    services.cancel_appointment(booked, reason="Захворіла", actor=reception)
    later.refresh_from_db()
    assert later.status == "waiting"
    assert not Appointment.objects.filter(status="held").exists()


def test_a_waitlist_window_in_the_past_or_reversed_is_refused(infusion_setup, patient, reception):
    with pytest.raises(BookingRefused):
        wait(
            patient,
            infusion_setup,
            reception,
            earliest_on=date(2026, 3, 9),
            latest_on=date(2026, 3, 2),
        )
    with pytest.raises(BookingRefused):
        wait(
            patient,
            infusion_setup,
            reception,
            earliest_on=date(2026, 2, 1),
            latest_on=date(2026, 2, 10),
        )
    assert not WaitlistEntry.objects.exists()


def test_cancelling_an_offer_on_hold_returns_the_entry_to_the_queue(
    infusion_setup, kyiv, patient, reception
):
    booked = services.book_appointment(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=infusion_setup["practitioner"],
        room=infusion_setup["room"],
        actor=reception,
    )
    first = wait(make_patient(kyiv, "W-1"), infusion_setup, reception, priority=1)
    second = wait(make_patient(kyiv, "W-2"), infusion_setup, reception, priority=2)
    services.cancel_appointment(booked, reason="Захворіла", actor=reception)
    first.refresh_from_db()
    services.cancel_appointment(first.offer, reason="Помилка", actor=reception)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.offer) == ("waiting", None)
    assert second.status == "offered"


def test_a_series_booked_for_a_course_of_care_belongs_to_it(infusion_setup, patient, users):
    from clinic.courses.tests.factories import make_care_course

    course = make_care_course(patient, modality="psychotherapy", planned_sessions=6)
    chosen = [(o.starts_at, o.practitioner, o.room) for o in plan(patient, infusion_setup)]
    series, appointments = services.book_series(
        patient,
        visit_type=infusion_setup["visit_type"],
        site=infusion_setup["site"],
        occurrences=chosen,
        actor=users[(Role.RECEPTIONIST, "kyiv")],
        course=course,
    )
    assert series.course == course
    assert list(course.series.all()) == [series]


def test_a_closed_or_other_patients_course_cannot_be_booked_and_nothing_is_saved(
    infusion_setup, patient, kyiv, users
):
    from clinic.courses.tests.factories import make_care_course

    other = make_care_course(make_patient(kyiv, "K-0777"))
    chosen = [(o.starts_at, o.practitioner, o.room) for o in plan(patient, infusion_setup)]
    with pytest.raises(BookingRefused):
        services.book_series(
            patient,
            visit_type=infusion_setup["visit_type"],
            site=infusion_setup["site"],
            occurrences=chosen,
            actor=users[(Role.RECEPTIONIST, "kyiv")],
            course=other,
        )
    assert not Series.objects.exists() and not Appointment.objects.exists()
