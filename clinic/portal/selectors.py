"""What the portal reads: the patient's upcoming visits, offers, due questionnaires, released
scores, consents, and the log of staff access to their record in plain words."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import SYSTEM_EMAIL
from clinic.accounts.roles import Role
from clinic.assessments.charts import Point, downsample, trend_svg
from clinic.assessments.instruments import INSTRUMENTS
from clinic.assessments.models import Assessment, SelfReportLink
from clinic.assessments.selectors import scale_settings
from clinic.core.models import AuditEvent
from clinic.patients.models import ConsentPurpose, ConsentWording
from clinic.portal.models import ScoreRelease, SessionSummary, TrustedPerson
from clinic.portal.services import PORTAL_EMAIL
from clinic.scheduling.models import Appointment, WaitlistEntry

ACCESS_LOG_ROWS = 200


def upcoming_visits(patient, now=None):
    return list(
        Appointment.objects.filter(
            patient=patient,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN),
            starts_at__gte=now or timezone.now(),
        )
        .select_related("site", "visit_type", "practitioner", "room", "visit_type__preparation")
        .order_by("starts_at")[:30]
    )


def open_offers(patient, now=None):
    return list(
        WaitlistEntry.objects.filter(
            patient=patient,
            status=WaitlistEntry.Status.OFFERED,
            offer__status=Appointment.Status.HELD,
            offer__hold_until__gt=now or timezone.now(),
        ).select_related("offer", "offer__site", "visit_type")
    )


def due_questionnaires(patient, now=None):
    """Self-reports issued to the patient and still open (not sent, not expired)."""
    return list(
        SelfReportLink.objects.filter(
            assessment__patient=patient,
            assessment__status=Assessment.Status.IN_PROGRESS,
            submitted_at__isnull=True,
            expires_at__gt=now or timezone.now(),
        )
        .select_related("assessment")
        .order_by("expires_at")
    )


def latest_release(patient) -> ScoreRelease | None:
    return ScoreRelease.objects.filter(patient=patient).order_by("-released_through").first()


def released_summaries(patient) -> list[SessionSummary]:
    """The session summaries a physician has released to the patient, newest session first."""
    return list(
        SessionSummary.objects.filter(patient=patient, released_at__isnull=False)
        .select_related("note", "note__author", "released_by")
        .order_by("-note__held_on", "-released_at", "-pk")
    )


def summaries_for_export(patient) -> list[dict]:
    """The released summaries as the patient's data export lists them."""
    return [
        {
            "id": str(s.public_id),
            "session_date": s.note.held_on,
            "session": str(s.note.get_kind_display()),
            "clinician": s.note.author.full_name,
            "released_at": s.released_at,
            "released_by": s.released_by.full_name,
            "summary": s.text,
        }
        for s in released_summaries(patient)
    ]


def summary_states(note_ids) -> dict[int, SessionSummary]:
    """Each note's summary (released or not), for the staff pages that list notes."""
    return {s.note_id: s for s in SessionSummary.objects.filter(note_id__in=list(note_ids))}


# Plain-language meaning of each scale, for the patient (not the clinician's band names alone).
EXPLANATIONS = {
    "phq9": _(
        "PHQ-9 asks about nine signs of depression over the last two weeks. The total runs "
        "from 0 to 27: lower is better. A fall of half or more from your first score is what "
        "clinicians call a response to treatment."
    ),
    "gad7": _(
        "GAD-7 asks about worry and anxiety over the last two weeks. The total runs from 0 to "
        "21: lower is better."
    ),
    "epds": _(
        "The Edinburgh scale asks how you have felt over the past seven days, after a birth. "
        "The total runs from 0 to 30: lower is better."
    ),
}
GENERIC_EXPLANATION = _(
    "Each point is one questionnaire you or your clinician filled in. Lower scores mean fewer "
    "symptoms. Your clinician will talk the results through with you."
)


def released_scores(patient) -> list[dict]:
    """The patient's completed scores up to the clinician's latest release, per scale."""
    release = latest_release(patient)
    if release is None:
        return []
    rows = Assessment.objects.filter(
        patient=patient,
        status=Assessment.Status.COMPLETED,
        completed_at__lte=release.released_through,
        total__isnull=False,
    ).order_by("completed_at", "pk")
    by_code = defaultdict(list)
    for row in rows:
        by_code[row.code].append(row)
    settings = scale_settings()
    scales = []
    for code, done in by_code.items():
        instrument = INSTRUMENTS[code]
        if not instrument.has_total:
            continue
        bands = instrument.bands_with(settings[code].thresholds())
        points = [
            Point(
                timezone.localdate(r.completed_at),
                r.total,
                str(instrument.band_label(r.band, bands) or "—"),
                False,
            )
            for r in done
        ]
        shown = downsample(points)
        scales.append(
            {
                "instrument": instrument,
                "svg": trend_svg(
                    chart_id=f"portal-trend-{code}",
                    title=str(instrument.name),
                    max_total=instrument.max_total,
                    bands=bands,
                    points=shown,
                    count=len(points),
                ),
                "points": shown,
                "explanation": EXPLANATIONS.get(code, GENERIC_EXPLANATION),
            }
        )
    return scales


@dataclass
class ConsentRow:
    purpose: str
    label: str
    wording: ConsentWording | None
    in_force: list
    past: list

    @property
    def signed_current(self) -> bool:
        return any(c.wording_id == self.wording.pk for c in self.in_force) if self.wording else True


def consents(patient) -> list[ConsentRow]:
    now = timezone.now()
    current_versions = dict(
        ConsentWording.objects.filter(effective_from__lte=now)
        .values("purpose")
        .annotate(version=Max("version"))
        .values_list("purpose", "version")
    )
    wordings = {
        w.purpose: w
        for w in ConsentWording.objects.filter(
            purpose__in=list(current_versions),
        )
        if current_versions.get(w.purpose) == w.version
    }
    given = defaultdict(list)
    for consent in patient.consents.select_related("wording").order_by("-given_at"):
        given[consent.purpose].append(consent)
    rows = []
    for purpose, label in ConsentPurpose.choices:
        mine = given.get(purpose, [])
        if purpose not in wordings and not mine:
            continue
        rows.append(
            ConsentRow(
                purpose=purpose,
                label=label,
                wording=wordings.get(purpose),
                in_force=[c for c in mine if c.in_force],
                past=[c for c in mine if not c.in_force],
            )
        )
    return rows


# --- the staff access log -------------------------------------------------------------------

# The part of the record an audit action touched, by its prefix (longest first wins).
PARTS = [
    ("patient.chart", _("your record (overview)")),
    ("patient.clinical", _("your clinical details")),
    ("patient.intake", _("your intake questionnaire")),
    ("patient.ketamine_screen", _("your ketamine suitability check")),
    ("patient.note", _("clinical notes")),
    ("patient.consent", _("your consents")),
    ("patient.exported", _("a copy of your record")),
    ("patient.details", _("your personal details")),
    ("patient.privacy_request", _("your data requests")),
    ("patient", _("your record")),
    ("note", _("clinical notes")),
    ("appointment", _("your visits")),
    ("waitlist", _("the waiting list")),
    ("schedule", _("your visits")),
    ("assessment.alert", _("a safety alert")),
    ("assessment", _("your questionnaires and scores")),
    ("portal.summary", _("your session summaries")),
    ("portal.message", _("your messages to the care team")),
    ("portal", _("your portal account")),
    ("course", _("your course of treatment")),
    ("infusion", _("your treatment sessions")),
    ("tes", _("your treatment sessions")),
    ("inquiry", _("your first enquiry")),
    ("drugs", _("the medicine register")),
]
VERBS = {
    "viewed": _("opened"),
    "printed": _("printed"),
    "exported": _("made a copy of"),
}
CHANGED = _("added to or changed")


def part_of(action: str) -> str:
    for prefix, label in PARTS:
        if action == prefix or action.startswith(prefix + "."):
            return str(label)
    return str(_("your record"))


def verb_of(action: str) -> str:
    return str(VERBS.get(action.rsplit(".", 1)[-1], CHANGED))


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    who: str
    role: str
    what: str
    part: str
    refused: bool


# What a trusted person did in the portal, as the patient's access log words it.
TRUSTED_ACCESS = {
    "portal.trusted.signed_in": _("signed in to"),
    "portal.trusted.viewed": _("opened"),
    "portal.trusted.changed": _("added to or changed"),
}
TRUSTED_PAGES = {
    "home": _("your visits"),
    "visit": _("your visits"),
    "cancel": _("your visits"),
    "documents": _("your documents"),
}


def staff_access_log(patient, limit: int = ACCESS_LOG_ROWS) -> list[AccessRow]:
    """Every staff read and write of the patient's record, newest first (who, role, when,
    what part), and every access of the patient's trusted people, labelled as such. The
    system's jobs and the patient's own portal actions are not listed."""
    trusted_rows = Q(actor__email=PORTAL_EMAIL, action__in=list(TRUSTED_ACCESS))
    events = list(
        AuditEvent.objects.filter(patient=patient, actor__isnull=False)
        .filter(~Q(actor__email__in=(SYSTEM_EMAIL, PORTAL_EMAIL)) | trusted_rows)
        .select_related("actor")
        .prefetch_related("actor__groups")
        .order_by("-at", "-pk")[:limit]
    )
    grant_ids = {e.object_id for e in events if e.action in TRUSTED_ACCESS}
    names = dict(
        TrustedPerson.objects.filter(patient=patient, public_id__in=grant_ids).values_list(
            "public_id", "name"
        )
    )
    names = {str(key): value for key, value in names.items()}
    labels = dict(Role.choices)
    rows = []
    for event in events:
        if event.action in TRUSTED_ACCESS:
            rows.append(
                AccessRow(
                    at=event.at,
                    who=names.get(event.object_id, ""),
                    role=str(_("your trusted person")),
                    what=str(TRUSTED_ACCESS[event.action]),
                    part=str(TRUSTED_PAGES.get(event.reason, _("your portal"))),
                    refused=event.outcome == AuditEvent.Outcome.DENIED,
                )
            )
            continue
        roles = sorted(str(labels.get(name, name)) for name in event.actor.role_names)
        rows.append(
            AccessRow(
                at=event.at,
                who=event.actor.full_name or event.actor_label,
                role=", ".join(roles),
                what=verb_of(event.action),
                part=part_of(event.action),
                refused=event.outcome == AuditEvent.Outcome.DENIED,
            )
        )
    return rows


def trusted_people(patient) -> list[TrustedPerson]:
    """The patient's grants, live ones first, newest first."""
    grants = list(TrustedPerson.objects.filter(patient=patient).order_by("-granted_at", "-pk"))
    today = timezone.localdate()
    return sorted(grants, key=lambda g: not g.is_live(today))
