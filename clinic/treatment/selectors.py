"""Reads: a site's rules, the chair board, course progress, discharge criteria, offers."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.assessments.chart import scale_histories
from clinic.assessments.reports import course_outcomes
from clinic.locations.models import Room, Site
from clinic.scheduling.models import Appointment
from clinic.treatment import delivery, rules
from clinic.treatment.models import (
    AlertNotice,
    InfusionSession,
    PumpEvent,
    SessionNote,
    TesSession,
    TreatmentSettings,
    VitalAlert,
    VitalSigns,
)
from clinic.treatment.scales import DISCHARGE_SCALES


def rules_for(site) -> TreatmentSettings:
    """The site's settings, or the defaults (unsaved) while an administrator has set none."""
    found = TreatmentSettings.objects.filter(site=site).first()
    return found if found is not None else TreatmentSettings(site=site)


def rules_by_site(site_ids) -> dict[int, TreatmentSettings]:
    found = {s.site_id: s for s in TreatmentSettings.objects.filter(site_id__in=site_ids)}
    return {pk: found.get(pk) or TreatmentSettings(site_id=pk) for pk in site_ids}


# Vitals schedule -----------------------------------------------------------------------------


def pump_events(session) -> list[PumpEvent]:
    """The pump's events of a session in order, with the preparation each names."""
    return list(
        session.pump_events.select_related("preparation", "recorded_by").order_by("at", "pk")
    )


def pump_delivery(session, *, until=None, events=None) -> delivery.Delivery | None:
    """What the pump gave in this session (`delivery.amount_given`), up to `until` for a pump
    still running; None for a session started before pump events were recorded."""
    events = pump_events(session) if events is None else events
    if not events:
        return None
    return delivery.amount_given(
        [
            delivery.PumpEvent(
                at=event.at,
                kind=event.kind,
                rate_ml_per_h=event.rate_ml_per_h,
                syringe=event.preparation.syringe() if event.preparation_id else None,
            )
            for event in events
        ],
        until=until,
    )


def phase_of(session) -> tuple[str, datetime, int] | None:
    """(vitals phase, when it began, interval) for a session whose vitals are scheduled."""
    if session.status not in InfusionSession.MONITORED or session.infusion_started_at is None:
        return None
    settings = getattr(session, "_rules", None) or rules_for(session.site)
    if session.infusion_ended_at is None:
        return (
            VitalSigns.Phase.INFUSING,
            session.infusion_started_at,
            settings.vitals_every_minutes_infusing,
        )
    return VitalSigns.Phase.AFTER, session.infusion_ended_at, settings.vitals_every_minutes_after


def next_due(session, last_reading_at=None) -> datetime | None:
    phase = phase_of(session)
    if phase is None:
        return None
    _kind, started, every = phase
    return rules.next_vitals_due(
        phase_started_at=started, last_reading_at=last_reading_at, every_minutes=every
    )


# The chair board -----------------------------------------------------------------------------


@dataclass
class ChairRow:
    chair: Room
    session: InfusionSession | None
    started_at: datetime | None
    next_due: datetime | None
    overdue: bool
    open_alerts: int
    # What the open alerts are ("oxygen saturation low 89"), so the board says why it is red.
    alert_reasons: tuple = ()


def board(site_ids, now=None) -> list[tuple[Site, list[ChairRow]]]:
    """Every active chair of the sites, with the session on it now, in a fixed number of queries.

    The latest reading and the open-alert count come as annotations, so neither the number
    of chairs nor the number of readings changes the query count.
    """
    now = now or timezone.now()
    settings_by_site = rules_by_site(list(site_ids))
    latest = (
        VitalSigns.objects.standing()
        .filter(session=OuterRef("pk"))
        .order_by("-measured_at")
        .values("measured_at")[:1]
    )
    sessions = (
        InfusionSession.objects.on_chairs()
        .filter(site_id__in=site_ids)
        .exclude(status=InfusionSession.Status.SCHEDULED)
        .select_related("patient", "course")
        .annotate(
            last_reading_at=latest,
            open_alert_count=Count("alerts", filter=Q(alerts__closed_at__isnull=True)),
        )
        .prefetch_related(
            Prefetch(
                "alerts",
                queryset=VitalAlert.objects.filter(closed_at__isnull=True),
                to_attr="open_alert_list",
            )
        )
    )
    by_chair = {}
    for session in sessions:
        session._rules = settings_by_site[session.site_id]
        by_chair.setdefault(session.chair_id, session)
    chairs = (
        Room.objects.filter(site_id__in=site_ids, kind=Room.Kind.INFUSION_CHAIR, is_active=True)
        .select_related("site")
        .order_by("site_id", "name")
    )
    grouped: dict[int, tuple[Site, list[ChairRow]]] = {}
    for chair in chairs:
        session = by_chair.get(chair.pk)
        due = next_due(session, session.last_reading_at) if session else None
        row = ChairRow(
            chair=chair,
            session=session,
            started_at=(session.infusion_started_at or session.checked_in_at) if session else None,
            next_due=due,
            overdue=bool(due and due < now),
            open_alerts=session.open_alert_count if session else 0,
            alert_reasons=tuple(
                f"{alert.get_kind_display()} {alert.value}" for alert in session.open_alert_list
            )
            if session
            else (),
        )
        grouped.setdefault(chair.site_id, (chair.site, []))[1].append(row)
    return list(grouped.values())


# Scheduled visits and their sessions ---------------------------------------------------------

SESSION_INFUSION, SESSION_TES, SESSION_NOTE = "infusion", "tes", "note"


def session_kind(visit_type) -> str | None:
    """Which session a visit type leads to: the room it books says infusion or TES; a visit
    type whose code names a kind of session note (psychotherapy, integration, ...) leads to
    that note. Other visits (consultations) have no session here."""
    if visit_type.room_kind == Room.Kind.INFUSION_CHAIR:
        return SESSION_INFUSION
    if visit_type.room_kind == Room.Kind.TES:
        return SESSION_TES
    if visit_type.code in SessionNote.Kind.values:
        return SESSION_NOTE
    return None


# The kinds a price may be set for (billing's Price.session_kind): the stimulation of a TES
# session and the kind of a session note.
SESSION_KIND_CHOICES = [*TesSession.Type.choices, *SessionNote.Kind.choices]


def visit_session_kind(appointment) -> str:
    """The kind of session a visit was, as far as its records say ("" when they say nothing):
    the stimulation of the TES session linked to it, else the kind of its first session note."""
    stimulation = (
        TesSession.objects.filter(appointment=appointment)
        .values_list("stimulation", flat=True)
        .first()
    )
    if stimulation:
        return stimulation
    note_kind = (
        SessionNote.objects.filter(appointment=appointment)
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
        .first()
    )
    return note_kind or ""


def visits_awaiting_infusion(site_ids, day=None):
    """Today's booked or checked-in infusion visits of the sites with no session yet (one query)."""
    from clinic.scheduling.models import Appointment

    return (
        Appointment.objects.on(day or timezone.localdate())
        .filter(
            site_id__in=site_ids,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
            visit_type__room_kind=Room.Kind.INFUSION_CHAIR,
            infusion_session__isnull=True,
        )
        .select_related("patient", "room")
        .order_by("starts_at", "pk")
    )


@dataclass
class VisitSession:
    """What the visit page offers: the session already recorded, or the way to start it."""

    kind: str
    existing: object | None
    can_start: bool
    can_open: bool
    # An infusion whose booked chair is taken (or none was booked): the free ones to choose.
    chair_taken: bool = False
    chairs: list = field(default_factory=list)


def _seated(site):
    """Sessions whose patient is on a chair (one scheduled ahead holds none yet)."""
    return (
        InfusionSession.objects.on_chairs()
        .filter(site=site)
        .exclude(status=InfusionSession.Status.SCHEDULED)
    )


def chair_is_occupied(chair) -> bool:
    return _seated(chair.site_id).filter(chair=chair).exists()


def free_chairs(site, *, visit=None) -> list[Room]:
    """The site's infusion chairs in use that no session under way occupies, by name.

    With a `visit`, chairs that other visits have booked during its time are left out too:
    the chairs a nurse may seat that visit's patient on instead of the booked one.
    """
    chairs = (
        Room.objects.filter(site=site, kind=Room.Kind.INFUSION_CHAIR, is_active=True)
        .exclude(pk__in=_seated(site).values("chair"))
        .order_by("name")
    )
    if visit is not None:
        booked = (
            Appointment.objects.blocking()
            .exclude(pk=visit.pk)
            .filter(
                site_id=visit.site_id,
                room__isnull=False,
                blocked_from__lt=visit.blocked_until,
                blocked_until__gt=visit.blocked_from,
            )
        )
        chairs = chairs.exclude(pk__in=booked.values("room"))
    return list(chairs)


def session_for_visit(appointment, user) -> VisitSession | None:
    """The session of a visit and whether this user may start it now (None: no session kind)."""
    from clinic.accounts.roles import Role

    kind = session_kind(appointment.visit_type)
    if kind is None:
        return None
    if kind == SESSION_NOTE:
        existing = appointment.session_notes.filter(author=user).first()
        roles = (Role.PHYSICIAN, Role.PSYCHOTHERAPIST)
        on_time = timezone.localdate(appointment.starts_at) <= timezone.localdate()
        states = ("booked", "checked_in", "completed")
    else:
        model = InfusionSession if kind == SESSION_INFUSION else TesSession
        existing = model.objects.filter(appointment=appointment).first()
        roles = (Role.NURSE, Role.PHYSICIAN)
        on_time = timezone.localdate(appointment.starts_at) == timezone.localdate()
        states = ("booked", "checked_in")
    can_start = (
        existing is None
        and on_time
        and appointment.status in states
        and user.has_role(*roles)
        and appointment.site_id in user.site_ids
    )
    session = VisitSession(
        kind=kind, existing=existing, can_start=can_start, can_open=user.has_role(*roles)
    )
    if can_start and kind == SESSION_INFUSION:
        room = appointment.room
        session.chair_taken = room is not None and chair_is_occupied(room)
        if room is None or session.chair_taken:
            session.chairs = free_chairs(appointment.site, visit=appointment)
    return session


# Courses -------------------------------------------------------------------------------------


def _count_of(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("course").annotate(n=Count("pk")).values("n")[:1]),
        0,
    )


def courses_with_progress(queryset):
    """Courses annotated with sessions done and the cumulative ketamine dose.

    Subqueries rather than joins: summing doses across joined TES and note rows would
    multiply them.
    """
    infusions = InfusionSession.objects.filter(
        course=OuterRef("pk"), status=InfusionSession.Status.DISCHARGED
    )
    return queryset.annotate(
        infusions_done=_count_of(infusions),
        cumulative_mg=Subquery(
            infusions.order_by()
            .values("course")
            .annotate(total=Sum("administered_mg"))
            .values("total")[:1]
        ),
        tes_done=_count_of(TesSession.objects.filter(course=OuterRef("pk"), status="completed")),
        notes_done=_count_of(
            SessionNote.objects.filter(course=OuterRef("pk"), signed_at__isnull=False)
        ),
    )


def sessions_done(course) -> int:
    if course.modality == "iv_ketamine":
        return course.infusions_done
    if course.modality == "tes":
        return course.tes_done
    return course.notes_done


# Discharge -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    message: str
    overridable: bool = True


def latest_discharge_score(session):
    return (
        session.scores.filter(code__in=DISCHARGE_SCALES, point="discharge")
        .order_by("-recorded_at", "-pk")
        .first()
    )


def unmet_discharge_criteria(
    session, *, escort_confirmed: bool, instructions_given: bool, now=None
) -> list[Criterion]:
    """What still stands between the patient and the door (domain.md §3.6)."""
    now = now or timezone.now()
    settings = rules_for(session.site)
    unmet = []
    started = session.infusion_started_at
    observed = int((now - started).total_seconds() // 60) if started else 0
    if observed < settings.min_observation_minutes:
        unmet.append(
            Criterion(
                "min_time",
                _("Observed for %(observed)s of the minimum %(minimum)s minutes.")
                % {"observed": observed, "minimum": settings.min_observation_minutes},
            )
        )
    score = latest_discharge_score(session)
    if score is None or score.code != settings.discharge_scale:
        unmet.append(
            Criterion(
                "score",
                _("No %(scale)s score has been recorded before discharge.")
                % {"scale": settings.get_discharge_scale_display()},
            )
        )
    elif score.total < settings.discharge_threshold:
        unmet.append(
            Criterion(
                "score",
                _("The %(scale)s score is %(total)s; at least %(threshold)s is needed.")
                % {
                    "scale": settings.get_discharge_scale_display(),
                    "total": score.total,
                    "threshold": settings.discharge_threshold,
                },
            )
        )
    if not escort_confirmed:
        unmet.append(Criterion("escort", _("The escort has not been confirmed.")))
    if not instructions_given:
        unmet.append(
            Criterion(
                "instructions",
                _("The instructions (no driving until the next day) have not been given."),
            )
        )
    if session.alerts.filter(closed_at__isnull=True).exists():
        unmet.append(
            Criterion("alerts", _("An alert is still open: record its action first."), False)
        )
    return unmet


# Integration offers --------------------------------------------------------------------------


def infusions_awaiting_integration(site_ids, now=None):
    """Infusions discharged within the site's offer window with no integration session since.

    The window is each site's `integration_offer_hours`; the list is small (one site, a few
    days), so the per-site cut-off is applied in one query with an OR per site.
    """
    now = now or timezone.now()
    settings_by_site = rules_by_site(list(site_ids))
    window = Q(pk__in=[])
    for site_id, settings in settings_by_site.items():
        since = now - timedelta(hours=settings.integration_offer_hours)
        window |= Q(site_id=site_id, discharged_at__gte=since)
    integrated = SessionNote.objects.filter(
        Q(infusion=OuterRef("pk")) | Q(created_at__gte=OuterRef("discharged_at")),
        patient=OuterRef("patient"),
        kind=SessionNote.Kind.INTEGRATION,
    )
    return (
        InfusionSession.objects.filter(window, status=InfusionSession.Status.DISCHARGED)
        .exclude(Exists(integrated))
        .select_related("patient", "course")
        .order_by("discharged_at")
    )


def open_alerts(session):
    return VitalAlert.objects.filter(session=session, closed_at__isnull=True)


def course_overview(course):
    """A course with its sessions, booked series, scales and history, for the course page."""
    completed, _waiting, _missed = scale_histories(course.patient)
    series = course.series.select_related("visit_type").annotate(
        visits=Count(
            "appointments", filter=Q(appointments__status__in=Appointment.ACTIVE_STATUSES)
        ),
        first_at=Min("appointments__starts_at"),
        last_at=Max("appointments__starts_at"),
    )
    return {
        "infusions": course.infusions.select_related("chair").order_by("-created_at"),
        "tes_sessions": course.tes_sessions.order_by("-started_at"),
        "notes": course.notes.select_related("author", "patient"),
        "series": series.order_by("created_at"),
        "outcome": course_outcomes([course], completed)[0],
        "history": course.history.select_related("by"),
    }


def cumulative_mg(course) -> Decimal:
    total = course.infusions.counted().aggregate(total=Sum("administered_mg"))["total"]
    return total or Decimal("0")


def infusion_detail_queryset():
    return InfusionSession.objects.select_related(
        "patient", "course", "chair", "site", "precheck"
    ).prefetch_related(
        Prefetch("vitals", queryset=VitalSigns.objects.order_by("measured_at", "pk")),
        "history__by",
    )


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    state: str  # "done", "overdue" or "due"


def vitals_checkpoints(session, readings, now=None) -> list[Checkpoint]:
    """The planned reading times so far and the next one, each marked done (a reading within
    half an interval), overdue or due. During the infusion they run from its start every
    `vitals_every_minutes_infusing`; afterwards from its end every `..._after`."""
    now = now or timezone.now()
    if session.infusion_started_at is None:
        return []
    settings = getattr(session, "_rules", None) or rules_for(session.site)
    taken = [r.measured_at for r in readings if not r.entered_in_error]
    ended, discharged = session.infusion_ended_at, session.discharged_at
    # (start, last possible time or None while the phase goes on, interval)
    phases = [(session.infusion_started_at, ended, settings.vitals_every_minutes_infusing)]
    if ended is not None:
        phases.append((ended, discharged, settings.vitals_every_minutes_after))
    points = []
    for start, until, every in phases:
        step = timedelta(minutes=every)
        at = start + step
        while len(points) < 60 and (until is None or at <= until):
            covered = any(abs((t - at).total_seconds()) <= step.total_seconds() / 2 for t in taken)
            points.append(Checkpoint(at, "done" if covered else "overdue" if at < now else "due"))
            if at > now:
                break  # only the next one ahead
            at += step
    return points


def open_notices(user) -> list:
    """The open chair alerts the user was told about, at the user's sites (banner and badge).

    Kept on the user object for the request, so the menu badge and the banner share one query.
    """
    cached = getattr(user, "_open_chair_notices", None)
    if cached is None:
        cached = user._open_chair_notices = list(
            AlertNotice.objects.open_for(user)
            .filter(site_id__in=user.site_ids)
            .select_related("alert__session__chair", "alert__session__patient")
            .order_by("alert__raised_at", "alert__pk")
        )
    return cached
