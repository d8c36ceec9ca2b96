"""Rating scales' worklists on the staff start page (clinic.core.worklists)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.assessments.models import Assessment, SafetyAlert
from clinic.assessments.outcomes import change_pct
from clinic.assessments.reports import OUTCOME_SCALES
from clinic.core.worklists import CAP, WorkItem


def safety_alerts(user, site) -> list[WorkItem]:
    """Open safety alerts at the site: a positive safety item nobody has acted on yet."""
    alerts = (
        SafetyAlert.objects.open()
        .at_sites([site.pk])
        .select_related("patient", "assessment")
        .order_by("raised_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=alert.patient.full_name,
            url=reverse("assessments:alert", kwargs={"alert_id": alert.public_id}),
            detail=f"{alert.assessment.get_code_display()}, "
            f"{date_format(timezone.localtime(alert.raised_at), 'd.m.Y H:i')}",
            urgent=True,
        )
        for alert in alerts
    ]


def _new_scores(site):
    return (
        Assessment.objects.not_reviewed()
        .filter(site=site)
        .select_related("patient")
        .order_by("completed_at", "pk")
    )


def _score_url(assessment) -> str:
    return reverse("assessments:detail", kwargs={"assessment_id": assessment.public_id})


def _when(assessment) -> str:
    return date_format(timezone.localtime(assessment.completed_at), "d.m.Y H:i")


def scores_to_review(user, site) -> list[WorkItem]:
    """Completed scores at the site that no physician has reviewed yet, oldest first."""
    items = []
    for score in _new_scores(site)[:CAP]:
        total = "" if score.total is None else f" {score.total}"
        items.append(
            WorkItem(
                text=score.patient.full_name,
                url=_score_url(score),
                detail=f"{score.instrument.short_name}{total}, {_when(score)}",
                urgent=score.safety,
            )
        )
    return items


def _baselines(scores) -> dict[tuple, tuple[int, int]]:
    """(patient, course, scale) -> (pk, total) of the first completed score: the baseline of
    domain.md §1.5, per course as in the outcome reports (reports.episodes). One query."""
    rows = (
        Assessment.objects.completed()
        .filter(
            patient_id__in={s.patient_id for s in scores},
            code__in={s.code for s in scores},
            total__isnull=False,
        )
        .order_by("completed_at", "pk")
        .values_list("pk", "patient_id", "course_id", "code", "total")
    )
    first: dict[tuple, tuple[int, int]] = {}
    for pk, patient_id, course_id, code, total in rows:
        first.setdefault((patient_id, course_id, code), (pk, total))
    return first


def worsening_scores(user, site) -> list[WorkItem]:
    """New (not yet reviewed) scores with a positive safety item, or on an outcome scale a total
    above the patient's baseline: a negative change from baseline (domain.md §1.5, the
    response formula [R12][R6]), i.e. no improvement at all but a worsening."""
    # Newest first, and safety items read apart from the rest: however many scores wait for
    # review, a new positive safety item or a new worsening is never cut off by older ones.
    newest = ("-completed_at", "-pk")
    scores = list(_new_scores(site).filter(safety=True).order_by(*newest)[:CAP]) + list(
        _new_scores(site).filter(safety=False, code__in=OUTCOME_SCALES).order_by(*newest)[:CAP]
    )
    scores.sort(key=lambda score: (score.completed_at, score.pk), reverse=True)
    baselines = _baselines([s for s in scores if s.code in OUTCOME_SCALES])
    items = []
    for score in scores:
        name = score.instrument.short_name
        baseline = baselines.get((score.patient_id, score.course_id, score.code))
        pct = None
        if score.code in OUTCOME_SCALES and baseline and baseline[0] != score.pk:
            pct = change_pct(baseline[1], score.total)
        worse = pct is not None and pct < 0
        if not (score.safety or worse):
            continue
        details = []
        if worse:
            details.append(
                _("%(scale)s %(total)s, %(baseline)s at the start (%(pct)s %% worse)")
                % {"scale": name, "total": score.total, "baseline": baseline[1], "pct": -pct}
            )
        if score.safety:
            details.append(_("%(scale)s: a safety item is positive") % {"scale": name})
        details.append(_when(score))
        items.append(
            WorkItem(
                text=score.patient.full_name,
                url=_score_url(score),
                detail="; ".join(details),
                urgent=True,
            )
        )
    return items
