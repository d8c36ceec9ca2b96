"""Treatment's worklists on the staff start page (clinic.core.worklists)."""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from clinic.core.worklists import CAP, WorkItem
from clinic.treatment import selectors
from clinic.treatment.models import DoseOrder, InfusionSession, SessionNote


def _session_url(session) -> str:
    return reverse("treatment:infusion", kwargs={"session_id": session.public_id})


def chairs(user, site) -> list[WorkItem]:
    """Every session on a chair of the site: alerts and overdue vitals first; a session left
    open from an earlier day says since when, not "overdue by days"."""
    now = timezone.now()
    today = timezone.localdate(now)
    items = []
    for _site, rows in selectors.board([site.pk], now=now):
        for row in rows:
            session = row.session
            if session is None:
                continue
            opened = timezone.localdate(session.checked_in_at or session.created_at)
            if opened < today:
                detail = _("open since %(day)s: discharge it or document why it ended") % {
                    "day": date_format(opened, "d.m.Y")
                }
                urgent = True
            elif row.open_alerts:
                detail = ", ".join(row.alert_reasons)
                urgent = True
            elif row.overdue:
                detail = _("vital signs overdue since %(time)s") % {
                    "time": time_format(timezone.localtime(row.next_due), "H:i")
                }
                urgent = True
            elif row.next_due:
                detail = _("vital signs due at %(time)s") % {
                    "time": time_format(timezone.localtime(row.next_due), "H:i")
                }
                urgent = False
            else:
                detail, urgent = session.get_status_display(), False
            items.append(
                WorkItem(
                    text=f"{row.chair.name}: {session.patient.full_name}",
                    url=_session_url(session),
                    detail=detail,
                    urgent=urgent,
                )
            )
    return items


def doses_to_sign(user, site) -> list[WorkItem]:
    """Sessions past their pre-check at the site whose dose nobody has signed yet."""
    signed = DoseOrder.objects.filter(session=OuterRef("pk"))
    sessions = (
        InfusionSession.objects.filter(site=site, status=InfusionSession.Status.PRECHECKED)
        .exclude(Exists(signed))
        .select_related("patient", "chair")
        .order_by("checked_in_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=session.patient.full_name,
            url=_session_url(session),
            detail=session.chair.name if session.chair_id else "",
            urgent=True,
        )
        for session in sessions
    ]


def doses_to_prepare(user, site) -> list[WorkItem]:
    """Signed doses not yet prepared, or prepared and waiting for a second person's check
    (the infusion cannot start before it)."""
    doses = (
        DoseOrder.objects.filter(
            session__site=site,
            session__status__in=(
                InfusionSession.Status.PRECHECKED,
                InfusionSession.Status.INFUSING,
                InfusionSession.Status.INTERRUPTED,
            ),
            replaced_by__isnull=True,
        )
        .filter(Q(preparation__isnull=True) | Q(preparation__checked_at__isnull=True))
        .select_related("session__patient", "session__chair", "preparation__prepared_by")
        .order_by("signed_at", "pk")[:CAP]
    )
    items = []
    for dose in doses:
        preparation = getattr(dose, "preparation", None)
        if preparation is None:
            detail = _("to prepare")
        else:
            detail = _("prepared by %(name)s: a second person checks it") % {
                "name": preparation.prepared_by.full_name
            }
        chair = dose.session.chair.name if dose.session.chair_id else ""
        items.append(
            WorkItem(
                text=f"{chair}: {dose.session.patient.full_name}"
                if chair
                else dose.session.patient.full_name,
                url=_session_url(dose.session) + "#preparation",
                detail=detail,
                urgent=True,
            )
        )
    return items


def notes_to_sign(user, site) -> list[WorkItem]:
    """The user's own session notes still in draft (a draft is not yet part of the record)."""
    notes = (
        SessionNote.objects.filter(author=user, signed_at__isnull=True)
        .select_related("patient")
        .order_by("held_on", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=note.patient.full_name,
            url=reverse("treatment:note", kwargs={"note_id": note.public_id}),
            detail=f"{note.get_kind_display()}, {date_format(note.held_on, 'd.m.Y')}",
        )
        for note in notes
    ]


def integration_offers(user, site) -> list[WorkItem]:
    """Infusions discharged within the site's window with no integration session yet."""
    return [
        WorkItem(
            text=session.patient.full_name,
            url=reverse("treatment:note_new", kwargs={"patient_id": session.patient.public_id})
            + f"?infusion={session.public_id}",
            detail=_("discharged %(when)s")
            % {"when": date_format(timezone.localtime(session.discharged_at), "d.m.Y H:i")},
        )
        for session in selectors.infusions_awaiting_integration([site.pk])[:CAP]
    ]
