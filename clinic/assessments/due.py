"""Which self-report scales are due: a pure function over plain data (tested without a
database). `send_due_assessments` feeds it from the database and sends the links."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clinic.assessments.visits import Visit

BEFORE_VISIT = "before_visit"
EVERY_N_DAYS = "every_n_days"


@dataclass(frozen=True)
class Rule:
    schedule_id: int
    code: str
    kind: str
    visit_type_code: str = ""
    interval_days: int | None = None
    condition: str = ""  # blank: any patient
    site_id: int | None = None  # None: every site


@dataclass(frozen=True)
class CourseSpan:
    patient_id: int
    started_on: date
    ended_on: date | None
    condition: str

    def open_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


@dataclass(frozen=True)
class Due:
    schedule_id: int
    patient_id: int
    code: str
    due_on: date
    due_by: datetime | None = None
    visit_ref: str = ""

    @property
    def key(self) -> str:
        """One link per schedule, patient and due date, however often the sweep runs."""
        return f"{self.schedule_id}:{self.patient_id}:{self.due_on.isoformat()}"


def _matches(rule: Rule, patient_id: int, conditions: Mapping, sites: Mapping, also=()) -> bool:
    if rule.site_id is not None and sites.get(patient_id) != rule.site_id:
        return False
    known = set(conditions.get(patient_id, ())) | set(also)
    return not rule.condition or rule.condition in known


def compute_due(
    *,
    today: date,
    rules: Iterable[Rule],
    visits: Iterable[Visit],
    courses: Iterable[CourseSpan],
    last_issued: Mapping[tuple[int, int], date],
    conditions: Mapping[int, set[str]],
    sites: Mapping[int, int],
) -> list[Due]:
    """Links to issue today.

    - before_visit: every visit of the type (the caller passes the visits of the coming day)
      makes the scale due on the visit's day, due by its start.
    - every_n_days: while a course is open, the scale is due `interval_days` after the last
      link of that schedule (or on the course's first day if none was issued yet).
    `conditions`: each patient's conditions (courses and intake); `sites`: home site ids.
    """
    rules = list(rules)
    visits = list(visits)
    found: dict[str, Due] = {}
    for rule in rules:
        if rule.kind == BEFORE_VISIT:
            for visit in visits:
                if visit.visit_type_code != rule.visit_type_code:
                    continue
                if not _matches(rule, visit.patient_id, conditions, sites):
                    continue
                due = Due(
                    rule.schedule_id,
                    visit.patient_id,
                    rule.code,
                    visit.starts_at.date(),
                    visit.starts_at,
                    visit.ref,
                )
                found.setdefault(due.key, due)
        elif rule.kind == EVERY_N_DAYS and rule.interval_days:
            for course in courses:
                if not course.open_on(today):
                    continue
                # The course's own condition decides: a PTSD schedule runs during PTSD courses.
                if rule.condition and course.condition != rule.condition:
                    continue
                if not _matches(rule, course.patient_id, conditions, sites, {course.condition}):
                    continue
                last = last_issued.get((rule.schedule_id, course.patient_id))
                # A later course of the same patient restarts the rhythm on its first day.
                if last is None or last < course.started_on:
                    next_on = course.started_on
                else:
                    next_on = last + timedelta(days=rule.interval_days)
                if next_on <= today:
                    due = Due(rule.schedule_id, course.patient_id, rule.code, today)
                    found.setdefault(due.key, due)
    return sorted(found.values(), key=lambda d: (d.due_on, d.schedule_id, d.patient_id))
