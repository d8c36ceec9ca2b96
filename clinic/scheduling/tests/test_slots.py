"""Slot search offers only times that can really be booked, and DST days are handled."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from clinic.accounts.roles import Role
from clinic.locations.models import Closure
from clinic.scheduling import services
from clinic.scheduling.availability import find_slots, slot_starts
from clinic.scheduling.clock import KYIV, AmbiguousTime, is_gap, local, local_instant
from clinic.scheduling.models import Absence
from clinic.scheduling.rules import BookingRefused
from clinic.scheduling.tests.conftest import at, second_nurse

pytestmark = pytest.mark.usefixtures("frozen")


def starts(slots):
    return [local(s.starts_at).strftime("%H:%M") for s in slots]


def test_every_offered_slot_can_be_booked(visit, clinic, kyiv, patient, reception):
    for code in ("first_consultation", "ketamine_infusion", "tes_session", "psychotherapy"):
        slots = find_slots(
            visit[code],
            sites=[kyiv],
            first_day=date(2026, 3, 3),
            last_day=date(2026, 3, 3),
            patient=patient,
        )
        assert slots, code
        slot = slots[len(slots) // 2]
        appointment = services.book_appointment(
            patient,
            visit_type=visit[code],
            site=kyiv,
            starts_at=slot.starts_at,
            practitioner=slot.practitioner,
            room=slot.room,
            actor=reception,
        )
        services.cancel_appointment(appointment, reason="test", actor=reception)


def test_slots_respect_hours_buffers_and_bookings(
    visit, clinic, kyiv, users, patient, other_patient, reception
):
    infusion = visit["ketamine_infusion"]
    day = date(2026, 3, 3)
    nurse = users[(Role.NURSE, "kyiv")]
    free = find_slots(infusion, sites=[kyiv], first_day=day, last_day=day, practitioner=nurse)
    # 15 min preparation after 9:00 opening; 150 min + 15 clearing up before 19:00.
    assert starts(free)[0] == "09:15"
    assert starts(free)[-1] == "16:15"
    services.book_appointment(
        other_patient,
        visit_type=infusion,
        site=kyiv,
        starts_at=at(3, 10),
        practitioner=nurse,
        room=clinic["kyiv"]["chair1"],
        actor=reception,
    )
    after = starts(
        find_slots(infusion, sites=[kyiv], first_day=day, last_day=day, practitioner=nurse)
    )
    # The nurse is busy 9:45-12:45 (with buffers): nothing from 7:30 to 12:45 + 15 min prep.
    assert "09:15" not in after and "12:45" not in after
    assert "13:00" in after


def test_a_busy_patient_is_not_offered_an_overlapping_time(
    visit, clinic, kyiv, users, patient, reception
):
    services.book_appointment(
        patient,
        visit_type=visit["follow_up"],
        site=kyiv,
        starts_at=at(3, 12),
        practitioner=users[(Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=reception,
    )
    slots = find_slots(
        visit["psychotherapy"],
        sites=[kyiv],
        first_day=date(2026, 3, 3),
        last_day=date(2026, 3, 3),
        patient=patient,
    )
    for slot in slots:
        assert slot.ends_at <= at(3, 12) or slot.starts_at >= at(3, 12, 30)


def test_closures_absences_and_weekends_have_no_slots(visit, clinic, kyiv, users):
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
        kind="leave",
        starts_on=date(2026, 3, 5),
        ends_on=date(2026, 3, 6),
        created_by=doctor,
    )
    slots = find_slots(
        visit["follow_up"], sites=[kyiv], first_day=date(2026, 3, 3), last_day=date(2026, 3, 9)
    )
    assert {local(s.starts_at).date() for s in slots} == {date(2026, 3, 3), date(2026, 3, 9)}


def test_search_covers_both_sites_and_each_chair(
    visit, clinic, kyiv, lviv, users, reception, other_patient
):
    day = date(2026, 3, 3)
    infusion = visit["ketamine_infusion"]
    services.book_appointment(
        other_patient,
        visit_type=infusion,
        site=kyiv,
        starts_at=at(3, 10),
        practitioner=users[(Role.NURSE, "kyiv")],
        room=clinic["kyiv"]["chair1"],
        actor=reception,
    )
    extra = second_nurse(kyiv)
    slots = find_slots(infusion, sites=[kyiv, lviv], first_day=day, last_day=day)
    at_ten = [s for s in slots if s.starts_at == at(3, 10)]
    assert {(s.site.code, s.room.name) for s in at_ten} == {
        ("kyiv", "Крісло 2"),
        ("lviv", "Крісло 1"),
    }
    assert {s.practitioner for s in at_ten if s.site == kyiv} == {extra}


def test_slot_search_query_count_does_not_grow_with_bookings(
    visit, clinic, kyiv, lviv, users, reception, django_assert_max_num_queries
):
    from clinic.conftest import make_patient

    def search():
        return find_slots(
            visit["ketamine_infusion"],
            sites=[kyiv, lviv],
            first_day=date(2026, 3, 2),
            last_day=date(2026, 3, 31),
        )

    with django_assert_max_num_queries(9):
        search()
    nurse = users[(Role.NURSE, "kyiv")]
    for i, day in enumerate(range(3, 7)):
        services.book_appointment(
            make_patient(kyiv, f"Q-{i}"),
            visit_type=visit["ketamine_infusion"],
            site=kyiv,
            starts_at=at(day, 10),
            practitioner=nurse,
            room=clinic["kyiv"]["chair1"],
            actor=reception,
        )
    with django_assert_max_num_queries(9):
        assert search()


# --- Time: DST in Europe/Kyiv ---------------------------------------------------------------


def check_day(day, opens, closes, minutes=30, step=15):
    slots = slot_starts(day, opens, closes, duration_minutes=minutes, step_minutes=step)
    assert len(slots) == len(set(slots)), day
    assert slots == sorted(slots)
    for instant in slots:
        wall = instant.astimezone(KYIV)
        assert not is_gap(wall.date(), wall.time()), (day, wall)
        assert wall.minute % step == 0
    return slots


def test_no_slot_in_a_gap_or_twice_in_a_fold_on_any_day_2025_to_2030():
    day = date(2025, 1, 1)
    spring, autumn = [], []
    while day <= date(2030, 12, 31):
        slots = check_day(day, time(0), time(23, 45))
        # Slots fill the real length of the day: 23 h on the spring change, 25 h in autumn.
        anchor = local_instant(day, time(0))
        real_hours = (local_instant(day + timedelta(days=1), time(0)) - anchor) / timedelta(hours=1)
        open_minutes = real_hours * 60 - 15  # until 23:45
        assert len(slots) == int((open_minutes - 30) // 15) + 1, day
        if real_hours == 23:
            spring.append(day)
        if real_hours == 25:
            autumn.append(day)
        day += timedelta(days=1)
    assert len(spring) == 6 and len(autumn) == 6
    assert date(2026, 3, 29) in spring and date(2026, 10, 25) in autumn


def test_the_autumn_fold_offers_each_wall_time_twice_as_two_instants():
    slots = check_day(date(2026, 10, 25), time(2), time(5))
    walls = [(s.astimezone(KYIV).strftime("%H:%M"), s.astimezone(KYIV).utcoffset()) for s in slots]
    assert ("03:00", timedelta(hours=3)) in walls and ("03:00", timedelta(hours=2)) in walls
    assert len(slots) == len({s.astimezone(UTC) for s in slots})


def test_the_spring_gap_offers_nothing_between_three_and_four():
    slots = check_day(date(2026, 3, 29), time(2), time(6))
    walls = [s.astimezone(KYIV).strftime("%H:%M") for s in slots]
    assert not [w for w in walls if w.startswith("03:")]
    assert walls[:5] == ["02:00", "02:15", "02:30", "02:45", "04:00"]


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    opens=st.integers(min_value=0, max_value=20 * 4),
    hours=st.integers(min_value=1, max_value=12),
    minutes=st.sampled_from([20, 30, 50, 60, 150]),
)
# Closing at 03:00 on a spring-forward day: a wall time that does not exist.
@example(day=date(2028, 3, 26), opens=4, hours=2, minutes=30)
def test_slots_never_repeat_or_fall_in_a_gap_for_any_hours(day, opens, hours, minutes):
    start = time(opens // 4, (opens % 4) * 15)
    end_quarter = min(opens + hours * 4, 23 * 4 + 3)
    end = time(end_quarter // 4, (end_quarter % 4) * 15)
    if end <= start:
        return
    # The latest instant the closing wall time can mean (the later one in a fold); inside a
    # spring gap, Python's own mapping of that wall time is within the hour of slack.
    latest_close = datetime.combine(day, end, tzinfo=KYIV).replace(fold=1).astimezone(UTC)
    for instant in check_day(day, start, end, minutes=minutes):
        assert instant + timedelta(minutes=minutes) <= latest_close + timedelta(hours=1)


def test_local_times_in_a_gap_or_a_fold_are_refused_with_a_clear_message():
    with pytest.raises(AmbiguousTime, match="does not exist"):
        local_instant(date(2026, 3, 29), time(3, 30))
    with pytest.raises(AmbiguousTime, match="happens twice"):
        local_instant(date(2026, 10, 25), time(3, 30))
    first = local_instant(date(2026, 10, 25), time(3, 30), fold=0)
    second = local_instant(date(2026, 10, 25), time(3, 30), fold=1)
    assert second - first == timedelta(hours=1)


def test_an_infusion_across_the_autumn_change_lasts_its_real_duration(
    visit, clinic, kyiv, users, patient, reception, frozen
):
    # A Sunday opening would be unusual; the rule is what matters: durations are in UTC.
    frozen.move_to(datetime(2026, 10, 20, 8, tzinfo=KYIV))
    from clinic.scheduling.tests.conftest import give_hours, open_weekdays

    open_weekdays(kyiv, opens=time(0, 30), closes=time(9))
    for role in (Role.NURSE, Role.PHYSICIAN):
        users[(role, "kyiv")].working_hours.all().delete()
        give_hours(users[(role, "kyiv")], kyiv, starts=time(0, 30), ends=time(9), weekdays=[7])
    from clinic.locations.models import OpeningHours

    OpeningHours.objects.create(site=kyiv, weekday=7, opens=time(0, 30), closes=time(9))
    starts_at = local_instant(date(2026, 10, 25), time(2, 0))
    appointment = services.book_appointment(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=kyiv,
        starts_at=starts_at,
        practitioner=users[(Role.NURSE, "kyiv")],
        room=clinic["kyiv"]["chair1"],
        actor=reception,
    )
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=150)
    assert local(appointment.ends_at).strftime("%H:%M") == "03:30"  # wall clock went back
    with pytest.raises(BookingRefused):
        services.book_appointment(
            patient,
            visit_type=visit["follow_up"],
            site=kyiv,
            starts_at=starts_at,
            practitioner=users[(Role.PHYSICIAN, "kyiv")],
            room=clinic["kyiv"]["consulting"],
            actor=reception,
        )
