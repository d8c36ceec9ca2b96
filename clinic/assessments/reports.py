"""Outcomes: baseline, change, response and remission per patient and course, and the medical
director's rates by condition, site, number of infusions and time since baseline.

Each page loads its rows in a fixed number of queries and computes in Python, so the query
count does not grow with the data (tests pin it).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinic.assessments import cohorts
from clinic.assessments.instruments import INSTRUMENTS
from clinic.assessments.models import Assessment
from clinic.assessments.outcomes import change_pct, is_remission, is_response
from clinic.assessments.selectors import scale_settings
from clinic.courses.models import Condition, Course
from clinic.locations.models import Site

# Scales whose totals measure symptoms (a drop is improvement) and so have outcomes.
OUTCOME_SCALES = ("phq9", "gad7", "epds", "madrs", "qids_sr16", "pcl5")


@dataclass(frozen=True)
class Episode:
    """One patient's scores of one scale within one course (or outside any course)."""

    patient_id: int
    site_id: int
    course_id: int | None
    baseline: int
    baseline_on: date
    latest: int
    latest_on: date
    count: int
    pct: int | None
    response: bool
    remission: bool

    @property
    def has_follow_up(self) -> bool:
        return self.count > 1

    @property
    def weeks(self) -> int:
        return (self.latest_on - self.baseline_on).days // 7


def episode_from(points, *, patient_id, site_id, course_id, settings) -> Episode:
    """`points`: (day, total) in time order; the first is the baseline (domain.md §1.5)."""
    (baseline_on, baseline), (latest_on, latest) = points[0], points[-1]
    pct = change_pct(baseline, latest) if len(points) > 1 else None
    return Episode(
        patient_id=patient_id,
        site_id=site_id,
        course_id=course_id,
        baseline=baseline,
        baseline_on=baseline_on,
        latest=latest,
        latest_on=latest_on,
        count=len(points),
        pct=pct,
        response=is_response(pct, settings.response_pct),
        remission=len(points) > 1 and is_remission(latest, settings.remission_max),
    )


def episodes(code: str, *, site_ids, settings, patient_ids=None) -> list[Episode]:
    """Every (patient, course) episode of a scale at the given sites, from one query."""
    rows = (
        Assessment.objects.completed()
        .filter(code=code, site_id__in=site_ids, total__isnull=False)
        .order_by("patient_id", "course_id", "completed_at", "pk")
        .values_list("patient_id", "site_id", "course_id", "total", "completed_at")
    )
    if patient_ids is not None:
        rows = rows.filter(patient_id__in=patient_ids)
    grouped: dict[tuple, list] = defaultdict(list)
    sites = {}
    for patient_id, site_id, course_id, total, completed_at in rows:
        grouped[(patient_id, course_id)].append((timezone.localdate(completed_at), total))
        sites[patient_id] = site_id
    return [
        episode_from(points, patient_id=pid, site_id=sites[pid], course_id=cid, settings=settings)
        for (pid, cid), points in grouped.items()
    ]


INFUSION_BUCKETS = ((0, 0, "0"), (1, 3, "1–3"), (4, 6, "4–6"), (7, 10_000, "7+"))
WEEK_BUCKETS = (
    (0, 3, gettext_lazy("under 4 weeks")),
    (4, 7, gettext_lazy("4–7 weeks")),
    (8, 11, gettext_lazy("8–11 weeks")),
    (12, 10_000, gettext_lazy("12 weeks or more")),
)


def _bucket(value: int, buckets) -> str:
    for low, high, label in buckets:
        if low <= value <= high:
            return str(label)
    return str(buckets[-1][2])


@dataclass
class Rate:
    group: str
    count: int = 0
    responders: int = 0
    remitters: int = 0

    @property
    def response_pct(self) -> int | None:
        return round(self.responders * 100 / self.count) if self.count else None

    @property
    def remission_pct(self) -> int | None:
        return round(self.remitters * 100 / self.count) if self.count else None


def outcome_rates(code: str, *, site_ids, settings) -> dict:
    """Response and remission rates by dimension, over episodes with a follow-up score."""
    found = [e for e in episodes(code, site_ids=site_ids, settings=settings) if e.has_follow_up]
    patient_ids = {e.patient_id for e in found}
    course_conditions = dict(
        Course.objects.filter(pk__in={e.course_id for e in found if e.course_id}).values_list(
            "pk", "condition"
        )
    )
    intake = cohorts.condition_of(patient_ids)
    infusions = cohorts.infusions_per_course({e.course_id for e in found if e.course_id})
    site_names = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))
    labels = dict(Condition.choices)
    dimensions = {
        "condition": (_("Condition"), {}),
        "site": (_("Site"), {}),
        "infusions": (_("Number of infusions"), {}),
        "weeks": (_("Time since baseline"), {}),
    }
    overall = Rate(_("All"))
    for episode in found:
        # The course says what it treats; without one, the intake's presenting condition.
        condition = course_conditions.get(episode.course_id)
        if not condition or condition == Condition.UNSPECIFIED:
            condition = intake.get(episode.patient_id) or Condition.UNSPECIFIED
        keys = {
            "condition": str(labels.get(condition, condition)),
            "site": site_names.get(episode.site_id, "—"),
            # Infusions belong to a course; scores outside any course had none of their own.
            "infusions": _bucket(infusions.get(episode.course_id, 0), INFUSION_BUCKETS),
            "weeks": _bucket(episode.weeks, WEEK_BUCKETS),
        }
        for rate in [overall] + [
            dimensions[name][1].setdefault(key, Rate(key)) for name, key in keys.items()
        ]:
            rate.count += 1
            rate.responders += episode.response
            rate.remitters += episode.remission
    return {
        "overall": overall,
        "dimensions": [
            {"name": name, "label": label, "rates": sorted(rates.values(), key=lambda r: r.group)}
            for name, (label, rates) in dimensions.items()
        ],
        "has_remission": settings.remission_max is not None,
        "instrument": INSTRUMENTS[code],
    }


@dataclass
class CourseOutcome:
    """What a course of care achieved: per outcome scale, its episode, and infusions given."""

    course: Course
    rows: list
    infusions: int

    @property
    def weeks(self) -> int | None:
        weeks = [row["episode"].weeks for row in self.rows]
        return max(weeks) if weeks else None


def course_outcomes(courses, completed, *, settings=None) -> list[CourseOutcome]:
    """Baseline, latest, change, response and remission per outcome scale of each course.

    `completed`: the patient's completed assessments by scale code (chart selectors), so the
    page reads nothing more than one count of infusions per course.
    """
    settings = settings or scale_settings()
    infusions = cohorts.infusions_per_course({c.pk for c in courses})
    found = []
    for course in courses:
        rows = []
        for code in OUTCOME_SCALES:
            points = [
                (timezone.localdate(a.completed_at), a.total)
                for a in completed.get(code, [])
                if a.course_id == course.pk and a.total is not None
            ]
            if points:
                rows.append(
                    {
                        "instrument": INSTRUMENTS[code],
                        "episode": episode_from(
                            points,
                            patient_id=course.patient_id,
                            site_id=course.site_id,
                            course_id=course.pk,
                            settings=settings[code],
                        ),
                        "settings": settings[code],
                    }
                )
        found.append(CourseOutcome(course, rows, infusions.get(course.pk, 0)))
    return found
