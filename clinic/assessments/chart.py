"""The rating-scales section of the patient chart: latest scores, a trend per scale, open
alerts, links waiting or missed. The chart page includes `assessments/_chart_section.html`
with what `chart_section` returns; a fixed number of queries whatever the history."""

from collections import defaultdict

from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.assessments import cohorts
from clinic.assessments.charts import Point, downsample, trend_svg
from clinic.assessments.instruments import INSTRUMENTS, SAFETY_FLAGS
from clinic.assessments.models import Assessment, SafetyAlert
from clinic.assessments.reports import OUTCOME_SCALES, episode_from
from clinic.assessments.selectors import can_send_link, current_licensed_texts, scale_settings
from clinic.courses.models import Course

# Who sees scores: the clinicians who treat. Reception books visits and sees none of this.
SECTION_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)
ENTRY_ROLES = SECTION_ROLES
# Scores of each scale shown in the chart's timeline (the newest).
TIMELINE_SCORES = 10


def scale_histories(patient):
    """Completed and pending administrations of the patient, grouped (one query)."""
    rows = list(
        Assessment.objects.of(patient)
        .exclude(status=Assessment.Status.ENTERED_IN_ERROR)
        .select_related("link", "entered_by")
        .order_by("completed_at", "created_at", "pk")
    )
    completed: dict[str, list[Assessment]] = defaultdict(list)
    waiting, missed = [], []
    now = timezone.now()
    for row in rows:
        if row.status == Assessment.Status.COMPLETED:
            completed[row.code].append(row)
        elif hasattr(row, "link"):
            (waiting if row.link.is_open(now) else missed).append(row)
    return completed, waiting, missed


def scale_summary(code, rows, *, settings, markers, chart_id):
    """Latest score, baseline and outcome, and the trend chart of one scale."""
    instrument = INSTRUMENTS[code]
    config = settings[code]
    bands = instrument.bands_with(config.thresholds())
    latest = rows[-1]
    summary = {
        "instrument": instrument,
        "latest": latest,
        "latest_band": instrument.band_label(latest.band, bands),
        "count": len(rows),
        "rows": list(reversed(rows)),
        "settings": config,
    }
    totals = [r for r in rows if r.total is not None]
    if instrument.has_total and totals:
        points = [
            Point(
                timezone.localdate(r.completed_at),
                r.total,
                str(instrument.band_label(r.band, bands) or "—"),
                r.safety,
            )
            for r in totals
        ]
        # Drawn (and tabled) from a summary: a long history does not grow the page.
        shown = downsample(points)
        summary["svg"] = trend_svg(
            chart_id=chart_id,
            title=str(instrument.name),
            max_total=instrument.max_total,
            bands=bands,
            points=shown,
            markers=markers,
            count=len(points),
        )
        summary["points"] = shown
        summary["summarised"] = len(shown) < len(points)
        if code in OUTCOME_SCALES:
            summary["episode"] = episode_from(
                [(p.day, p.total) for p in points],
                patient_id=latest.patient_id,
                site_id=latest.site_id,
                course_id=None,
                settings=config,
            )
    return summary


def chart_section(patient, user) -> dict | None:
    """What the chart shows of rating scales for this user, or None if nothing (reception)."""
    if not user.has_role(*SECTION_ROLES):
        return None
    settings = scale_settings()
    licensed = current_licensed_texts()
    completed, waiting, missed = scale_histories(patient)
    markers = cohorts.treatment_markers(patient)
    scales = [
        scale_summary(
            code, completed[code], settings=settings, markers=markers, chart_id=f"trend-{code}"
        )
        for code in INSTRUMENTS
        if completed.get(code)
    ]
    alerts = list(
        SafetyAlert.objects.open()
        .filter(patient=patient)
        .select_related("assessment")
        .order_by("raised_at")
    )
    for alert in alerts:
        alert.flag_names = [SAFETY_FLAGS.get(f, f) for f in alert.flag_list]
    language = patient.preferred_language
    return {
        "patient": patient,
        "scales": scales,
        "alerts": alerts,
        "waiting": waiting,
        "missed": missed[-10:],
        "courses": list(Course.objects.filter(patient=patient).order_by("-opened_on", "-pk")),
        "can_enter": user.has_role(*ENTRY_ROLES),
        "entry_choices": [(code, i.short_name) for code, i in INSTRUMENTS.items()],
        "link_choices": [
            (code, i.short_name)
            for code, i in INSTRUMENTS.items()
            if can_send_link(code, language, licensed)
        ],
        "has_channel": patient.message_address() is not None,
        "completed": completed,
    }


def chart_provider(patient, user):
    """The chart's rating-scales section (patients/chart.py), with one timeline item per
    completed administration."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from clinic.patients.access import can_read_clinical
    from clinic.patients.chart import ChartSection, TimelineItem

    section = chart_section(patient, user) if can_read_clinical(user, patient) else None
    if section is None:
        return None
    # The latest scores of each scale; the whole history is on the outcomes page. The link is
    # reversed once and filled per row.
    placeholder = "00000000-0000-0000-0000-000000000000"
    detail_url = reverse("assessments:detail", args=[placeholder])
    timeline = [
        TimelineItem(
            row.completed_at,
            "assessment",
            _("%(scale)s: %(total)s") % {"scale": INSTRUMENTS[code].short_name, "total": row.total},
            detail_url.replace(placeholder, str(row.public_id)),
        )
        for code, rows in section["completed"].items()
        for row in rows[-TIMELINE_SCORES:]
    ]
    return ChartSection(
        "scales",
        _("Rating scales"),
        "assessments/_chart_section.html",
        {"section": section},
        timeline,
        framed=False,
    )
