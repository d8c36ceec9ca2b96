"""What other records say about patients, for outcome breakdowns and chart markers.

The intake (presenting conditions), the infusion sessions and the medication record are other
apps' data; these functions are the single seam through which they arrive here.
"""

from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.assessments.models import Condition
from clinic.patients.models import Intake
from clinic.patients.selectors import medication_changes
from clinic.treatment.models import InfusionSession

# The intake's presenting conditions, most specific first: a postpartum patient with TRD is
# counted with the perinatal cohort, whose course and scale (EPDS) differ.
_INTAKE_CONDITIONS = (
    ("condition_postpartum", Condition.PERINATAL),
    ("condition_trd", Condition.TRD),
    ("condition_ptsd", Condition.PTSD),
    ("condition_anxiety", Condition.ANXIETY),
    ("condition_phobia", Condition.ANXIETY),
    ("condition_psychosomatic", Condition.OTHER),
    ("condition_oncology", Condition.OTHER),
)


def condition_of(patient_ids) -> dict[int, str]:
    """Presenting condition per patient from the current intake (one query)."""
    found = dict.fromkeys(patient_ids, Condition.UNSPECIFIED.value)
    fields = [name for name, _ in _INTAKE_CONDITIONS]
    rows = (
        Intake.objects.filter(patient_id__in=found)
        .order_by("patient_id", "-recorded_at", "-pk")
        .values("patient_id", *fields)
    )
    seen = set()
    for row in rows:
        if row["patient_id"] in seen:
            continue  # an older version of the intake
        seen.add(row["patient_id"])
        for name, condition in _INTAKE_CONDITIONS:
            if row[name]:
                found[row["patient_id"]] = condition.value
                break
    return found


def _given(sessions):
    # An infusion counts once the pump has started: a session aborted at the pre-check gave
    # nothing, one stopped during the infusion did.
    return sessions.filter(infusion_started_at__isnull=False)


def infusion_count(patient_ids) -> dict[int, int]:
    """Infusions given per patient, every course together (one query)."""
    found = dict.fromkeys(patient_ids, 0)
    rows = (
        _given(InfusionSession.objects.filter(patient_id__in=found))
        .values("patient_id")
        .annotate(n=Count("pk"))
        .values_list("patient_id", "n")
    )
    found.update(rows)
    return found


def infusions_per_course(course_ids) -> dict[int, int]:
    """Infusions given per course of care (one query)."""
    found = dict.fromkeys(course_ids, 0)
    rows = (
        _given(InfusionSession.objects.filter(course_id__in=found))
        .values("course_id")
        .annotate(n=Count("pk"))
        .values_list("course_id", "n")
    )
    found.update(rows)
    return found


def treatment_markers(patient) -> list[tuple[date, str]]:
    """(day, label) of infusions ("Infusion 3") and medication changes for the trend charts,
    oldest first."""
    started = _given(InfusionSession.objects.filter(patient=patient)).order_by(
        "infusion_started_at", "pk"
    )
    infusions = [
        (timezone.localdate(at), _("Infusion %(number)s") % {"number": n})
        for n, at in enumerate(started.values_list("infusion_started_at", flat=True), 1)
    ]
    return sorted(infusions + medication_changes(patient), key=lambda marker: marker[0])
