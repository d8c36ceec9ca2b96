"""Chair alerts reaching a clinician: told at once, escalated along the on-duty rota when
nobody acknowledges in time, and closed with the action taken.
"""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.assessments.models import OnDutyPhysician
from clinic.core.audit import audit
from clinic.core.models import OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.treatment.models import (
    ALERT_ACTIONS,
    AlertNotice,
    InfusionSession,
    VitalAlert,
)
from clinic.treatment.selectors import (
    rules_for,
)
from clinic.treatment.services.common import (
    TreatmentRefused,
    require_physician,
)


def _on_duty_rota(site, day) -> list:
    """The site's on-duty physicians covering the day, in rota order (latest entry first)."""
    entries = (
        OnDutyPhysician.objects.covering(site, day)
        .filter(physician__is_active=True)
        .select_related("physician")
        .order_by("-starts_on", "-pk")
    )
    rota = []
    for entry in entries:
        if entry.physician not in rota:
            rota.append(entry.physician)
    return rota


def _tell(alert: VitalAlert, user, *, reason: str, actor) -> AlertNotice | None:
    """One in-app notice and one outbox message for one clinician, at most once per alert."""
    session = alert.session
    notice, created = AlertNotice.objects.get_or_create(
        alert=alert, recipient=user, defaults={"site": session.site, "reason": reason}
    )
    if not created:
        return None
    link = public_url(reverse("treatment:infusion", kwargs={"session_id": session.public_id}))
    # Staff messages carry no health details beyond the chair: the record stays in the system.
    with translation.override("uk"):
        subject = (
            _("Escalated chair alert: %(site)s, %(chair)s")
            if reason == AlertNotice.Reason.ESCALATION
            else _("Chair alert: %(site)s, %(chair)s")
        ) % {"site": session.site.name, "chair": session.chair.name}
        body = _(
            "A patient in an infusion chair needs a physician now (%(reason)s). Open the "
            "session and acknowledge the alert:\n%(link)s"
        ) % {"reason": alert.get_kind_display(), "link": link}
    enqueue_message(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        site=session.site,
        dedupe_key=f"chair-alert:{alert.public_id}:{user.pk}",
    )
    audit(
        actor,
        "infusion.alert.notified",
        session.patient,
        obj=alert,
        site=session.site,
        reason=f"{reason}: {user.email}",
    )
    return notice


def notify_alert(alert: VitalAlert, *, actor) -> list[AlertNotice]:
    """Tell the course's responsible physician and the site's on-duty physician of a new alert.

    Runs inside the transaction that raised the alert, so a refused or rolled-back write
    leaves neither a notice nor a message behind.
    """
    session = alert.session
    recipients = [(session.course.responsible_physician, AlertNotice.Reason.RESPONSIBLE)]
    rota = _on_duty_rota(session.site, timezone.localdate(alert.raised_at))
    if rota:
        recipients.append((rota[0], AlertNotice.Reason.ON_DUTY))
    notices = []
    for user, reason in recipients:
        notice = _tell(alert, user, reason=reason, actor=actor)
        if notice is not None:
            notices.append(notice)
    return notices


@transaction.atomic
def acknowledge_alert(alert, *, actor) -> VitalAlert:
    """A physician has seen the alert; escalation stops. Closing it is a separate step."""
    require_physician(actor, _("acknowledge an alert"))
    alert = (
        # Lock order: docs/architecture.md, "Locks and their order".
        VitalAlert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session__patient", "session__site")
        .get(pk=alert.pk)
    )
    if alert.acknowledged_at is not None:
        return alert
    if alert.closed_at is not None:
        raise TreatmentRefused(_("This alert has already been handled."))
    alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit(
        actor,
        "infusion.alert.acknowledged",
        alert.session.patient,
        obj=alert,
        site=alert.session.site,
    )
    return alert


def raise_overdue_vitals_alerts(now=None, *, actor) -> int:
    """Open a "vital signs overdue" alert for each monitored session whose next reading is
    past due (the board's red "overdue"), at most one open such alert per session.

    Called by the sweep (`manage.py escalate_chair_alerts`) before escalation. Each session
    is handled in its own transaction with its row locked.
    """
    from clinic.treatment.selectors import next_due

    now = now or timezone.now()
    raised = 0
    for session_id in InfusionSession.objects.filter(
        status__in=InfusionSession.MONITORED, infusion_started_at__isnull=False
    ).values_list("pk", flat=True):
        with transaction.atomic():
            session = (
                # Lock order: docs/architecture.md, "Locks and their order".
                InfusionSession.objects.select_for_update(of=("self",), no_key=True)
                .select_related("site", "patient", "chair", "course__responsible_physician")
                .get(pk=session_id)
            )
            if session.status not in InfusionSession.MONITORED:
                continue
            last = (
                session.vitals.filter(entered_in_error=False)
                .order_by("-measured_at")
                .values_list("measured_at", flat=True)
                .first()
            )
            due = next_due(session, last)
            if due is None or due >= now:
                continue
            if session.alerts.filter(
                kind=VitalAlert.Kind.VITALS_OVERDUE, closed_at__isnull=True
            ).exists():
                continue
            settings_ = rules_for(session.site)
            every = (
                settings_.vitals_every_minutes_infusing
                if session.infusion_ended_at is None
                else settings_.vitals_every_minutes_after
            )
            late = int((now - due).total_seconds() // 60)
            alert = VitalAlert.objects.create(
                session=session,
                kind=VitalAlert.Kind.VITALS_OVERDUE,
                value=late,
                limit=every,
                raised_at=now,
            )
            audit(
                actor,
                "infusion.alert.raised",
                session.patient,
                obj=alert,
                site=session.site,
                reason=alert.kind,
            )
            notify_alert(alert, actor=actor)
            raised += 1
    return raised


def escalate_overdue_alerts(now=None, *, actor) -> dict[str, int]:
    """Send chair alerts nobody acknowledged within the site's minutes to the next on the rota.

    Each alert is handled in its own transaction with its row locked, so two sweeps running
    at once escalate it once. The clock restarts at each escalation: the next physician gets
    the same number of minutes before the one after them is told.
    """
    now = now or timezone.now()
    candidates = VitalAlert.objects.filter(
        closed_at__isnull=True, acknowledged_at__isnull=True
    ).select_related("session")
    settings_by_site = {}
    due_ids = []
    for alert in candidates:
        site_id = alert.session.site_id
        if site_id not in settings_by_site:
            settings_by_site[site_id] = rules_for(alert.session.site)
        minutes = settings_by_site[site_id].alert_escalate_after_minutes
        if (alert.escalated_at or alert.raised_at) <= now - timedelta(minutes=minutes):
            due_ids.append(alert.pk)
    counts = {"escalated": 0, "no_one_left": 0}
    for alert_id in due_ids:
        with transaction.atomic():
            alert = (
                # Lock order: docs/architecture.md, "Locks and their order".
                VitalAlert.objects.select_for_update(of=("self",), no_key=True)
                .select_related("session__site", "session__patient", "session__chair")
                .get(pk=alert_id)
            )
            if alert.closed_at is not None or alert.acknowledged_at is not None:
                continue
            told = set(alert.notices.values_list("recipient_id", flat=True))
            rota = _on_duty_rota(alert.session.site, timezone.localdate(now))
            following = [user for user in rota if user.pk not in told]
            if not following:
                counts["no_one_left"] += 1
                continue
            _tell(alert, following[0], reason=AlertNotice.Reason.ESCALATION, actor=actor)
            alert.escalated_at = now
            alert.save(update_fields=["escalated_at"])
            audit(
                actor,
                "infusion.alert.escalated",
                alert.session.patient,
                obj=alert,
                site=alert.session.site,
                reason=following[0].email,
            )
            counts["escalated"] += 1
    return counts


@transaction.atomic
def resolve_alert(alert, *, action: str, note: str, actor) -> VitalAlert:
    """Close an alert with what was done (continue, slow, pause, stop, treat) and a note."""
    alert = (
        VitalAlert.objects.select_for_update(of=("self",), no_key=True)
        .select_related("session__patient")
        .get(pk=alert.pk)
    )
    if alert.closed_at is not None:
        raise TreatmentRefused(_("This alert has already been handled."))
    if action not in ALERT_ACTIONS[alert.kind] or not note.strip():
        raise TreatmentRefused(
            _("Choose an action and write a note."), action="infusion.alert.refused"
        )
    alert.action, alert.note = action, note.strip()
    alert.closed_at, alert.closed_by = timezone.now(), actor
    alert.save(update_fields=["action", "note", "closed_at", "closed_by"])
    audit(
        actor,
        "infusion.alert.resolved",
        alert.session.patient,
        obj=alert,
        site=alert.session.site,
        reason=action,
    )
    return alert
