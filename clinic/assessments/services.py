"""The writes of measurement-based care. Each is one transaction with its audit row.

A safety answer raises its alert in the same transaction that stores the answer, so an
answer that is saved has always reached the alert list (and the outbox) too.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.assessments import cohorts
from clinic.assessments.due import CourseSpan, Rule, compute_due
from clinic.assessments.instruments import INSTRUMENTS, ScoringError, get
from clinic.assessments.models import (
    AlertEvent,
    Assessment,
    LicensedText,
    MeasurementPolicy,
    OnDutyPhysician,
    SafetyAlert,
    ScaleSettings,
    Schedule,
    SelfReportLink,
)
from clinic.assessments.selectors import (
    can_send_link,
    current_licensed_texts,
    responsible_clinicians,
    settings_for,
)
from clinic.assessments.visits import upcoming_visits
from clinic.core import records
from clinic.core.audit import Anonymous, audit
from clinic.core.errors import Refused
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.courses.models import Course
from clinic.patients.models import Patient

log = logging.getLogger(__name__)

# Who fills in a self-report: the patient holding the link, who has no account.
SELF_REPORT = Anonymous("self-report-link")
TOKEN_BYTES = 32  # 256 bits from the CSPRNG (security.md §1.7, ASVS 11.5.1)
MAX_TOKEN_LENGTH = 100
MAX_LICENSED_TEXT_CHARS = 100_000


class AssessmentRefused(Refused):
    """Nothing was written; the message says why, in the user's language."""

    code = "assessment.refused"


class SafetyConfirmationNeeded(AssessmentRefused):
    """A positive safety item entered by staff, not yet confirmed: nothing was saved.

    Saving it raises an alert that reaches a physician, so the person transcribing a form first
    sees which items are positive and confirms them (a slip of the hand pages no one, and a real
    answer is saved knowingly). `items` are the indices of the positive items.
    """

    code = "assessment.safety_confirmation_needed"

    def __init__(self, message, *, flags, items):
        super().__init__(message)
        self.flags = tuple(flags)
        self.items = tuple(items)


class LinkUnavailable(Exception):
    """The self-report link cannot be used: `reason` is unknown, expired or used."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _absolute(path: str) -> str:
    return public_url(path)


def _open_course_of(patient, day) -> Course | None:
    """The course of care whose measurement window includes the day (the latest opened)."""
    return Course.objects.filter(patient=patient).open_on(day).order_by("-opened_on", "-pk").first()


# --- staff entry --------------------------------------------------------------------------


@transaction.atomic
def record_assessment(
    patient: Patient,
    code: str,
    answers,
    *,
    actor,
    course: Course | None = None,
    visit_ref="",
    safety_confirmed: bool = False,
) -> Assessment:
    """Store a scale a clinician administered, scored now; a safety answer raises its alert.

    A positive safety item is refused with `SafetyConfirmationNeeded` until the person entering
    it confirms it (`safety_confirmed`).
    """
    instrument = get(code)
    try:
        result = instrument.score(answers, settings_for(code).thresholds())
    except ScoringError as error:
        raise AssessmentRefused(str(error)) from None
    if course is not None and course.patient_id != patient.pk:
        raise AssessmentRefused(_("That course belongs to another patient."))
    if result.safety and not safety_confirmed:
        raise SafetyConfirmationNeeded(
            _("A safety item is positive: confirm the entry. Nothing has been saved yet."),
            flags=result.safety,
            items=instrument.safety_items(answers, result.safety),
        )
    now = timezone.now()
    assessment = Assessment.objects.create(
        patient=patient,
        site_id=patient.home_site_id,
        course=course or _open_course_of(patient, timezone.localdate(now)),
        code=code,
        version=result.version,
        mode=Assessment.Mode.STAFF,
        status=Assessment.Status.COMPLETED,
        answers=list(answers),
        total=result.total,
        band=result.band,
        safety=result.is_safety_positive,
        completed_at=now,
        entered_by=actor,
        visit_ref=visit_ref[:64],
    )
    audit(actor, "assessment.recorded", patient, obj=assessment, reason=code)
    if result.safety:
        raise_safety_alert(assessment, result.safety, actor=actor)
    return assessment


@transaction.atomic
def mark_assessment_in_error(assessment: Assessment, *, reason: str, actor) -> Assessment:
    """Strike out a wrongly entered scale; the row stays, with who, when and why.

    The strike-out is the shared one; the scale's own status follows it, so the lists that
    count completed scales leave it out.
    """
    assessment = records.strike_out(assessment, reason=reason, actor=actor)
    return records.transition(assessment, Assessment.Status.ENTERED_IN_ERROR, actor=actor)


@transaction.atomic
def review_assessment(assessment: Assessment, *, actor) -> Assessment:
    """A physician of the patient's site has read a completed score: it leaves the list of new
    scores. Set once; a second review is refused."""
    if not actor.has_role(Role.PHYSICIAN):
        raise AssessmentRefused(_("Only a physician reviews scores."))
    # Locked: two physicians pressing "reviewed" at once must not both write.
    assessment = Assessment.objects.select_for_update(of=("self",), no_key=True).get(
        pk=assessment.pk
    )
    if assessment.status != Assessment.Status.COMPLETED:
        raise AssessmentRefused(_("Only a completed score can be reviewed."))
    if assessment.reviewed_at is not None:
        raise AssessmentRefused(_("This score has already been reviewed."))
    assessment.reviewed_at = timezone.now()
    assessment.reviewed_by = actor
    assessment.save(update_fields=["reviewed_at", "reviewed_by"])
    audit(actor, "assessment.reviewed", assessment.patient, obj=assessment)
    return assessment


# --- safety alerts ------------------------------------------------------------------------


def _alert_url(alert: SafetyAlert) -> str:
    return _absolute(reverse("assessments:alert", args=[alert.public_id]))


def _tell_clinician(alert: SafetyAlert, user, *, escalation: bool) -> None:
    # Staff messages carry no health details: the alert itself stays in the system.
    with translation.override("uk"):
        subject = (
            _("Escalated safety alert: %(site)s") if escalation else _("Safety alert: %(site)s")
        ) % {"site": alert.site.name}
        body = _(
            "A patient's answer to a rating scale needs a clinician's review now. Open the "
            "alert, contact the patient and record what you did:\n%(link)s"
        ) % {"link": _alert_url(alert)}
    kind = "escalated" if escalation else "raised"
    enqueue_message(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        site=alert.site,
        dedupe_key=f"safety-alert:{alert.public_id}:{kind}:{user.pk}",
    )


def raise_safety_alert(assessment: Assessment, flags, *, actor) -> SafetyAlert:
    """Open the alert of an assessment (once) and notify the responsible clinicians.

    Called inside the transaction that stored the safety answer.
    """
    alert = SafetyAlert.objects.filter(assessment=assessment).first()
    if alert is not None:
        merged = sorted(set(alert.flag_list) | set(flags))
        if merged != sorted(alert.flag_list):
            alert.flags = ",".join(merged)
            alert.save(update_fields=["flags"])
        return alert
    patient = assessment.patient
    alert = SafetyAlert.objects.create(
        patient=patient,
        site_id=assessment.site_id,
        assessment=assessment,
        flags=",".join(sorted(flags)),
    )
    by = actor if actor is not None and actor.is_authenticated else None
    AlertEvent.objects.create(
        alert=alert,
        kind=AlertEvent.Kind.RAISED,
        by=by,
        text=alert.flags,
    )
    for clinician in responsible_clinicians(patient):
        _tell_clinician(alert, clinician, escalation=False)
        AlertEvent.objects.create(
            alert=alert, kind=AlertEvent.Kind.NOTIFIED, recipient=clinician, text=clinician.email
        )
    audit(actor, "assessment.alert.raised", patient, obj=alert, reason=alert.flags)
    return alert


@transaction.atomic
def acknowledge_alert(alert: SafetyAlert, *, action_taken: str, actor) -> SafetyAlert:
    """A clinician has taken charge: record what was done. The alert leaves the open list."""
    # Lock order: docs/architecture.md, "Locks and their order".
    alert = SafetyAlert.objects.select_for_update(of=("self",), no_key=True).get(pk=alert.pk)
    action_taken = action_taken.strip()
    if not action_taken:
        raise AssessmentRefused(_("Write down the action taken."))
    if alert.status != SafetyAlert.Status.OPEN:
        raise AssessmentRefused(_("This alert has already been acknowledged."))
    alert.status = SafetyAlert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.action_taken = action_taken[:4000]
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "action_taken"])
    AlertEvent.objects.create(
        alert=alert, kind=AlertEvent.Kind.ACKNOWLEDGED, by=actor, text=alert.action_taken
    )
    audit(actor, "assessment.alert.acknowledged", alert.patient, obj=alert)
    return alert


def escalate_overdue_alerts(*, actor, now=None) -> dict[str, int]:
    """Send alerts nobody acknowledged in time to the site's on-duty physician.

    Each alert is handled in its own transaction with its row locked, so two sweeps running
    at once escalate it once. Without anyone on duty the alert stays due and the gap is
    recorded (once) and logged, and the next sweep tries again.
    """
    now = now or timezone.now()
    minutes = MeasurementPolicy.current().escalate_after_minutes
    due_ids = list(
        SafetyAlert.objects.open()
        .filter(escalated_at__isnull=True, raised_at__lte=now - timedelta(minutes=minutes))
        .values_list("pk", flat=True)
    )
    counts = {"escalated": 0, "no_one_on_duty": 0}
    for alert_id in due_ids:
        with transaction.atomic():
            alert = (
                # Lock order: docs/architecture.md, "Locks and their order".
                SafetyAlert.objects.select_for_update(of=("self",), no_key=True)
                .select_related("site", "patient")
                .get(pk=alert_id)
            )
            if alert.status != SafetyAlert.Status.OPEN or alert.escalated_at is not None:
                continue
            duty = (
                OnDutyPhysician.objects.covering(alert.site, timezone.localdate(now))
                .filter(physician__is_active=True)
                .select_related("physician")
                .order_by("-starts_on", "-pk")
                .first()
            )
            if duty is None:
                counts["no_one_on_duty"] += 1
                log.error(
                    "safety alert %s is overdue and %s has no one on duty",
                    alert.public_id,
                    alert.site.code,
                )
                if not alert.events.filter(kind=AlertEvent.Kind.NO_ONE_ON_DUTY).exists():
                    AlertEvent.objects.create(alert=alert, kind=AlertEvent.Kind.NO_ONE_ON_DUTY)
                    audit(
                        actor,
                        "assessment.alert.escalation_failed",
                        alert.patient,
                        obj=alert,
                        outcome=AuditEvent.Outcome.FAILED,
                        reason="no on-duty physician",
                    )
                continue
            alert.escalated_at = now
            alert.escalated_to = duty.physician
            alert.save(update_fields=["escalated_at", "escalated_to"])
            _tell_clinician(alert, duty.physician, escalation=True)
            AlertEvent.objects.create(
                alert=alert,
                kind=AlertEvent.Kind.ESCALATED,
                recipient=duty.physician,
                text=duty.physician.email,
            )
            audit(
                actor,
                "assessment.alert.escalated",
                alert.patient,
                obj=alert,
                reason=duty.physician.email,
            )
            counts["escalated"] += 1
    return counts


# --- self-report links --------------------------------------------------------------------


def link_url(token: str, language: str) -> str:
    with translation.override(language):
        return _absolute(reverse("selfreport:open", kwargs={"token": token}))


@transaction.atomic
def issue_self_report_link(
    patient: Patient,
    code: str,
    *,
    actor,
    schedule: Schedule | None = None,
    due_key: str | None = None,
    due_by=None,
    visit_ref: str = "",
) -> tuple[SelfReportLink, str | None]:
    """Open a self-report for the patient: (link, token). The token exists only here.

    With a `due_key` already used, returns the earlier link and no token (the sweep ran twice).
    """
    instrument = get(code)
    language = patient.preferred_language
    if not can_send_link(code, language, current_licensed_texts()):
        raise AssessmentRefused(
            _("%(scale)s cannot be sent as a link: its wording may not be shown to patients.")
            % {"scale": instrument.short_name}
        )
    if due_key:
        earlier = SelfReportLink.objects.filter(due_key=due_key).first()
        if earlier is not None:
            return earlier, None
    now = timezone.now()
    policy = MeasurementPolicy.current()
    assessment = Assessment.objects.create(
        patient=patient,
        site_id=patient.home_site_id,
        course=_open_course_of(patient, timezone.localdate(now)),
        schedule=schedule,
        code=code,
        version=instrument.version,
        mode=Assessment.Mode.SELF_REPORT,
        status=Assessment.Status.IN_PROGRESS,
        answers=[None] * len(instrument.items),
        visit_ref=visit_ref[:64],
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = SelfReportLink.objects.create(
        assessment=assessment,
        token_hash=hash_token(token),
        language=language,
        expires_at=now + timedelta(hours=policy.link_valid_hours),
        due_key=due_key,
        due_by=due_by,
        remind_at=now + timedelta(hours=schedule.reminder_after_hours) if schedule else None,
        created_by=actor,
    )
    audit(actor, "assessment.link.issued", patient, obj=assessment, reason=code)
    return link, token


def _send_link_message(link: SelfReportLink, token: str, *, reminder: bool) -> bool:
    patient = link.assessment.patient
    address = patient.message_address()
    if address is None:
        return False
    channel, recipient = address
    with translation.override(link.language):
        until = formats.date_format(timezone.localtime(link.expires_at), "d.m.Y H:i")
        text = (
            _(
                "Reminder: please answer the short questionnaire from the centre. It takes a few "
                "minutes: %(link)s (valid until %(until)s)."
            )
            if reminder
            else _(
                "The centre asks you to answer a short questionnaire. It takes a few minutes: "
                "%(link)s (valid until %(until)s)."
            )
        ) % {"link": link_url(token, link.language), "until": until}
        subject = _("A questionnaire from the centre")
    enqueue_message(
        channel=channel,
        recipient=recipient,
        subject=subject if channel == OutboxMessage.Channel.EMAIL else "",
        body=text,
        site=patient.home_site,
        dedupe_key=f"self-report:{link.pk}:{'reminder' if reminder else 'first'}",
        carries_secret=True,
    )
    link.sent_at = timezone.now()
    link.save(update_fields=["sent_at"])
    return True


@transaction.atomic
def send_self_report_link(
    patient: Patient, code: str, *, actor
) -> tuple[SelfReportLink, str, bool]:
    """Issue a link and send it by the patient's channel: (link, url, sent).

    Without a usable channel nothing is sent and the caller shows the address once (to hand
    over on a tablet in the waiting room, for instance).
    """
    link, token = issue_self_report_link(patient, code, actor=actor)
    sent = _send_link_message(link, token, reminder=False)
    audit(
        actor,
        "assessment.link.sent" if sent else "assessment.link.shown",
        patient,
        obj=link.assessment,
        reason=code,
    )
    return link, link_url(token, link.language), sent


def find_link(token) -> SelfReportLink:
    """The link for a token from a URL, or LinkUnavailable (never anything else)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or "\x00" in token:
        raise LinkUnavailable("unknown")
    link = (
        SelfReportLink.objects.select_related(
            "assessment", "assessment__patient", "assessment__site"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    return _usable(link)


def link_by_id(link_id) -> SelfReportLink:
    """The link remembered in the visitor's session (the token is not kept in any URL)."""
    if not isinstance(link_id, int):
        raise LinkUnavailable("unknown")
    link = (
        SelfReportLink.objects.select_related(
            "assessment", "assessment__patient", "assessment__site"
        )
        .filter(pk=link_id)
        .first()
    )
    return _usable(link)


def _usable(link: SelfReportLink | None) -> SelfReportLink:
    if link is None or link.assessment.status == Assessment.Status.ENTERED_IN_ERROR:
        raise LinkUnavailable("unknown")
    if link.submitted_at is not None:
        raise LinkUnavailable("used")
    if timezone.now() >= link.expires_at:
        raise LinkUnavailable("expired")
    return link


@transaction.atomic
def open_self_report(link: SelfReportLink) -> SelfReportLink:
    """The patient opened the link; the first opening is recorded."""
    if link.opened_at is None:
        link.opened_at = timezone.now()
        link.save(update_fields=["opened_at"])
        audit(SELF_REPORT, "assessment.link.opened", link.assessment.patient, obj=link.assessment)
    return link


def _locked_link(link: SelfReportLink) -> SelfReportLink:
    locked = (
        # Lock order: docs/architecture.md, "Locks and their order".
        SelfReportLink.objects.select_for_update(of=("self",), no_key=True)
        .select_related("assessment", "assessment__patient", "assessment__site")
        .get(pk=link.pk)
    )
    return _usable(locked)


@transaction.atomic
def save_self_report_answer(link: SelfReportLink, index, position) -> tuple[str, ...]:
    """Keep one answer of a self-report; returns the safety flags raised so far.

    A positive safety answer raises the alert now, even if the questionnaire is never
    submitted; changing the answer later does not withdraw it.
    """
    link = _locked_link(link)
    assessment = link.assessment
    instrument = assessment.instrument
    if (
        isinstance(index, bool)
        or not isinstance(index, int)
        or not 0 <= index < len(instrument.items)
    ):
        raise AssessmentRefused(_("There is no such question."))
    options = instrument.items[index].options
    if (
        isinstance(position, bool)
        or not isinstance(position, int)
        or not 0 <= position < len(options)
    ):
        raise AssessmentRefused(_("Choose one of the answers."))
    answers = list(assessment.answers)
    answers[index] = position
    assessment.answers = answers
    flags = instrument.safety_in(answers, settings_for(assessment.code).thresholds())
    assessment.safety = assessment.safety or bool(flags)
    assessment.save(update_fields=["answers", "safety"])
    audit(
        SELF_REPORT,
        "assessment.answer_saved",
        assessment.patient,
        obj=assessment,
        reason=f"item {index + 1}",
    )
    if flags:
        raise_safety_alert(assessment, flags, actor=SELF_REPORT)
    return flags


@transaction.atomic
def submit_self_report(link: SelfReportLink) -> Assessment:
    """Score the completed self-report and close the link for good."""
    link = _locked_link(link)
    assessment = link.assessment
    try:
        result = assessment.instrument.score(
            assessment.answers, settings_for(assessment.code).thresholds()
        )
    except ScoringError:
        raise AssessmentRefused(_("Please answer every question before sending.")) from None
    now = timezone.now()
    assessment.status = Assessment.Status.COMPLETED
    assessment.total = result.total
    assessment.band = result.band
    assessment.version = result.version
    assessment.safety = assessment.safety or result.is_safety_positive
    assessment.completed_at = now
    assessment.save(update_fields=["status", "total", "band", "version", "safety", "completed_at"])
    link.submitted_at = now
    link.save(update_fields=["submitted_at"])
    audit(
        SELF_REPORT,
        "assessment.submitted",
        assessment.patient,
        obj=assessment,
        reason=assessment.code,
    )
    if result.safety:
        raise_safety_alert(assessment, result.safety, actor=SELF_REPORT)
    return assessment


def _rotate_and_remind(link: SelfReportLink, *, now) -> bool:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link.token_hash = hash_token(token)
    link.reminded_at = now
    link.save(update_fields=["token_hash", "reminded_at"])
    sent = _send_link_message(link, token, reminder=True)
    return sent


def send_due_assessments(*, actor, now=None) -> dict[str, int]:
    """The sweep (cron): issue and send the links that schedules make due, then reminders."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"issued": 0, "sent": 0, "no_channel": 0, "not_allowed": 0, "reminded": 0}
    schedules = {s.pk: s for s in Schedule.objects.filter(is_active=True)}
    rules = [
        Rule(s.pk, s.code, s.kind, s.visit_type_code, s.interval_days, s.condition, s.site_id)
        for s in schedules.values()
    ]
    visits = upcoming_visits(now, now + timedelta(days=1))
    open_courses = list(
        Course.objects.open_on(today).values_list(
            "patient_id", "opened_on", "closed_on", "condition"
        )
    )
    spans = [CourseSpan(*row) for row in open_courses]
    patient_ids = {v.patient_id for v in visits} | {s.patient_id for s in spans}
    conditions: dict[int, set[str]] = {pid: set() for pid in patient_ids}
    for pid, condition in cohorts.condition_of(patient_ids).items():
        conditions[pid].add(condition)
    for span in spans:
        conditions[span.patient_id].add(span.condition)
    patients = Patient.objects.in_bulk(patient_ids)
    sites = {pid: p.home_site_id for pid, p in patients.items()}
    last_issued = {
        (row["schedule_id"], row["patient_id"]): timezone.localdate(row["last"])
        for row in Assessment.objects.filter(
            schedule_id__in=schedules, patient_id__in=patient_ids, mode=Assessment.Mode.SELF_REPORT
        )
        .values("schedule_id", "patient_id")
        .annotate(last=Max("created_at"))
    }
    licensed = current_licensed_texts()
    dues = compute_due(
        today=today,
        rules=rules,
        visits=visits,
        courses=spans,
        last_issued=last_issued,
        conditions=conditions,
        sites=sites,
    )
    for due in dues:
        patient = patients.get(due.patient_id)
        if patient is None:
            continue
        if not can_send_link(due.code, patient.preferred_language, licensed):
            counts["not_allowed"] += 1
            continue
        if patient.message_address() is None:
            counts["no_channel"] += 1
            continue
        with transaction.atomic():
            link, token = issue_self_report_link(
                patient,
                due.code,
                actor=actor,
                schedule=schedules[due.schedule_id],
                due_key=due.key,
                due_by=due.due_by,
                visit_ref=due.visit_ref,
            )
            if token is None:
                continue
            counts["issued"] += 1
            if _send_link_message(link, token, reminder=False):
                counts["sent"] += 1
    for link_id in SelfReportLink.objects.filter(
        remind_at__lte=now, reminded_at__isnull=True, submitted_at__isnull=True, expires_at__gt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            link = (
                # Lock order: docs/architecture.md, "Locks and their order".
                SelfReportLink.objects.select_for_update(of=("self",), no_key=True)
                .select_related("assessment__patient")
                .get(pk=link_id)
            )
            if link.reminded_at is not None or link.submitted_at is not None:
                continue
            if _rotate_and_remind(link, now=now):
                counts["reminded"] += 1
                audit(
                    actor, "assessment.link.reminded", link.assessment.patient, obj=link.assessment
                )
    return counts


# --- licensed texts and settings ----------------------------------------------------------


def parse_licensed_text(code: str, raw: str) -> tuple[str, list[dict]]:
    """Blocks separated by blank lines: one per item (its text on the first line, then one line
    per option, in printed order), optionally preceded by one block of instructions."""
    instrument = get(code)
    if "\x00" in raw:
        raise AssessmentRefused(_("The text contains characters that are not allowed."))
    if len(raw) > MAX_LICENSED_TEXT_CHARS:
        raise AssessmentRefused(_("The text is too long."))
    blocks = [
        [line.strip() for line in block.strip().splitlines() if line.strip()]
        for block in raw.replace("\r\n", "\n").split("\n\n")
    ]
    blocks = [b for b in blocks if b]
    instructions = ""
    if len(blocks) == len(instrument.items) + 1:
        instructions = " ".join(blocks.pop(0))
    if len(blocks) != len(instrument.items):
        raise AssessmentRefused(
            _("%(scale)s has %(expected)s items; the text has %(found)s blocks.")
            % {
                "scale": instrument.short_name,
                "expected": len(instrument.items),
                "found": len(blocks),
            }
        )
    items = []
    for item, block in zip(instrument.items, blocks, strict=True):
        text, options = block[0], block[1:]
        if len(options) != len(item.options):
            raise AssessmentRefused(
                _("Item %(number)s needs %(expected)s answer lines; it has %(found)s.")
                % {"number": item.number, "expected": len(item.options), "found": len(options)}
            )
        items.append({"text": text[:2000], "options": [o[:500] for o in options]})
    return instructions[:4000], items


@transaction.atomic
def upload_licensed_text(
    *, code: str, language: str, raw: str, permission: str, actor
) -> LicensedText:
    """Store the wording the clinic is licensed to show; staff forms and links then use it."""
    if code not in INSTRUMENTS or INSTRUMENTS[code].ships_text:
        raise AssessmentRefused(_("This scale needs no uploaded text."))
    if language not in ("uk", "en"):
        raise AssessmentRefused(_("Choose a language."))
    if not permission.strip():
        raise AssessmentRefused(_("Name the permission or licence the text is used under."))
    instructions, items = parse_licensed_text(code, raw)
    text = LicensedText.objects.create(
        code=code,
        language=language,
        instructions=instructions,
        items=items,
        permission=permission.strip()[:300],
        uploaded_by=actor,
    )
    audit(actor, "assessment.licensed_text.uploaded", obj=text, reason=f"{code}/{language}")
    return text


@transaction.atomic
def save_scale_settings(code: str, *, values: dict, provenance: str, actor) -> ScaleSettings:
    """Change a scale's thresholds; the note says on whose authority."""
    get(code)
    row = (
        # Lock order: docs/architecture.md, "Locks and their order".
        ScaleSettings.objects.select_for_update(of=("self",), no_key=True).filter(code=code).first()
    )
    if row is None:
        row = ScaleSettings(code=code)
    allowed = {"remission_max", "response_pct", *ScaleSettings.THRESHOLD_FIELDS}
    for name, value in values.items():
        if name in allowed:
            setattr(row, name, value)
    row.provenance = provenance.strip()
    row.updated_by = actor
    row.updated_at = timezone.now()
    row.save()
    audit(actor, "assessment.settings.changed", obj=row, reason=f"{code}: {values}"[:500])
    return row


@transaction.atomic
def save_measurement_policy(
    *, link_valid_hours: int, escalate_after_minutes: int, provenance: str, actor
):
    """Change how long links stay open and when alerts escalate."""
    policy = MeasurementPolicy.current()
    policy.link_valid_hours = link_valid_hours
    policy.escalate_after_minutes = escalate_after_minutes
    policy.provenance = provenance.strip()
    policy.updated_by = actor
    policy.updated_at = timezone.now()
    policy.save()
    audit(
        actor,
        "assessment.policy.changed",
        obj=policy,
        reason=f"links {link_valid_hours} h, escalation {escalate_after_minutes} min",
    )
    return policy


# --- schedules, courses, rota -------------------------------------------------------------


@transaction.atomic
def create_schedule(*, actor, **fields) -> Schedule:
    """Make a scale due before a visit type, or every N days during a course."""
    schedule = Schedule(created_by=actor, **fields)
    if schedule.kind == Schedule.Kind.BEFORE_VISIT:
        schedule.interval_days = None
        if not schedule.visit_type_code:
            raise AssessmentRefused(_("Give the visit type code."))
    else:
        schedule.visit_type_code = ""
        if not schedule.interval_days:
            raise AssessmentRefused(_("Give the number of days between questionnaires."))
    licensed = current_licensed_texts()
    if not any(can_send_link(schedule.code, language, licensed) for language in ("uk", "en")):
        raise AssessmentRefused(
            _("%(scale)s cannot be sent to patients: its wording may not be shown.")
            % {"scale": INSTRUMENTS[schedule.code].short_name}
        )
    schedule.save()
    audit(
        actor, "assessment.schedule.created", obj=schedule, site=schedule.site, reason=str(schedule)
    )
    return schedule


@transaction.atomic
def set_schedule_active(schedule: Schedule, active: bool, *, actor) -> Schedule:
    """Pause or resume a schedule."""
    schedule.is_active = active
    schedule.save(update_fields=["is_active"])
    audit(
        actor,
        "assessment.schedule.activated" if active else "assessment.schedule.paused",
        obj=schedule,
        site=schedule.site,
    )
    return schedule


@transaction.atomic
def add_on_duty(*, site, physician, starts_on, ends_on, actor) -> OnDutyPhysician:
    """Put a physician on duty for escalated alerts at a site over a date range."""
    if ends_on < starts_on:
        raise AssessmentRefused(_("The last day cannot be before the first."))
    if site.pk not in physician.site_ids or not physician.has_role("physician"):
        raise AssessmentRefused(_("Choose a physician who works at this site."))
    entry = OnDutyPhysician.objects.create(
        site=site, physician=physician, starts_on=starts_on, ends_on=ends_on, created_by=actor
    )
    audit(actor, "assessment.on_duty.added", obj=entry, site=site, reason=physician.email)
    return entry


@transaction.atomic
def remove_on_duty(entry: OnDutyPhysician, *, actor) -> None:
    """Take a rota entry off (a rota, not a clinical record: it may go)."""
    audit(
        actor,
        "assessment.on_duty.removed",
        obj=entry,
        site=entry.site,
        reason=entry.physician.email,
    )
    entry.delete()
