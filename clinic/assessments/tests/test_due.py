"""The due-computation is a pure function: plain data in, due questionnaires out."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.assessments.due import BEFORE_VISIT, EVERY_N_DAYS, CourseSpan, Rule, compute_due
from clinic.assessments.visits import Visit

KYIV = ZoneInfo("Europe/Kyiv")
TODAY = date(2026, 12, 1)


def due(**overrides):
    data = {
        "today": TODAY,
        "rules": [],
        "visits": [],
        "courses": [],
        "last_issued": {},
        "conditions": {},
        "sites": {1: 10, 2: 10, 3: 20},
    }
    data.update(overrides)
    return compute_due(**data)


def test_phq9_is_due_before_each_infusion_and_not_before_other_visits():
    rule = Rule(1, "phq9", BEFORE_VISIT, visit_type_code="ketamine_infusion")
    starts = datetime(2026, 12, 2, 10, 0, tzinfo=KYIV)
    found = due(
        rules=[rule],
        visits=[
            Visit(1, "ketamine_infusion", starts, "appt-1"),
            Visit(2, "psychotherapy", starts),
        ],
    )
    assert [(d.patient_id, d.code, d.due_on, d.due_by, d.visit_ref) for d in found] == [
        (1, "phq9", date(2026, 12, 2), starts, "appt-1")
    ]


def test_the_same_visit_twice_gives_one_due_questionnaire():
    rule = Rule(1, "phq9", BEFORE_VISIT, visit_type_code="ketamine_infusion")
    visit = Visit(1, "ketamine_infusion", datetime(2026, 12, 2, 10, tzinfo=KYIV))
    assert len(due(rules=[rule], visits=[visit, visit])) == 1


def test_condition_filter_keeps_only_matching_patients():
    rule = Rule(1, "epds", BEFORE_VISIT, visit_type_code="consultation", condition="perinatal")
    starts = datetime(2026, 12, 2, 10, tzinfo=KYIV)
    found = due(
        rules=[rule],
        visits=[Visit(1, "consultation", starts), Visit(2, "consultation", starts)],
        conditions={1: {"perinatal"}, 2: {"trd"}},
    )
    assert [d.patient_id for d in found] == [1]


def test_site_filter_keeps_only_that_sites_patients():
    rule = Rule(1, "phq9", BEFORE_VISIT, visit_type_code="ketamine_infusion", site_id=20)
    starts = datetime(2026, 12, 2, 10, tzinfo=KYIV)
    visits = [Visit(1, "ketamine_infusion", starts), Visit(3, "ketamine_infusion", starts)]
    assert [d.patient_id for d in due(rules=[rule], visits=visits)] == [3]


def test_every_n_days_is_due_on_the_first_day_of_a_course_then_each_interval():
    rule = Rule(5, "pcl5", EVERY_N_DAYS, interval_days=30, condition="ptsd")
    course = CourseSpan(1, TODAY - timedelta(days=40), None, "ptsd")
    assert [d.due_on for d in due(rules=[rule], courses=[course])] == [TODAY]
    issued_recently = {(5, 1): TODAY - timedelta(days=29)}
    assert due(rules=[rule], courses=[course], last_issued=issued_recently) == []
    issued_a_month_ago = {(5, 1): TODAY - timedelta(days=30)}
    assert len(due(rules=[rule], courses=[course], last_issued=issued_a_month_ago)) == 1


def test_nothing_is_due_outside_an_open_course_or_for_another_condition():
    rule = Rule(5, "pcl5", EVERY_N_DAYS, interval_days=30, condition="ptsd")
    ended = CourseSpan(1, TODAY - timedelta(days=60), TODAY - timedelta(days=1), "ptsd")
    later = CourseSpan(2, TODAY + timedelta(days=1), None, "ptsd")
    other = CourseSpan(3, TODAY - timedelta(days=5), None, "trd")
    assert due(rules=[rule], courses=[ended, later, other]) == []


def test_a_new_course_restarts_the_rhythm():
    rule = Rule(5, "phq9", EVERY_N_DAYS, interval_days=14)
    course = CourseSpan(1, TODAY - timedelta(days=2), None, "trd")
    # The last link belonged to an earlier course, before this one started.
    found = due(rules=[rule], courses=[course], last_issued={(5, 1): TODAY - timedelta(days=5)})
    assert [d.due_on for d in found] == [TODAY]


def test_due_keys_name_schedule_patient_and_day():
    rule = Rule(7, "phq9", EVERY_N_DAYS, interval_days=7)
    course = CourseSpan(2, TODAY, None, "trd")
    assert due(rules=[rule], courses=[course])[0].key == "7:2:2026-12-01"
