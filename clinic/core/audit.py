"""Writing and verifying the audit trail.

Every service calls `audit(...)` inside its own transaction, so the change and its audit row
commit or roll back together. Rows form hash chains, one per site (`site-<id>`) and one for rows
without a site (`global`), each in its own `seq` order; appending takes that chain's lock, so two
writers cannot both extend the same tail while writers at different sites do not wait for each
other. Rows written before chains existed stay in the closed chain `legacy`, hashed as they were.
`verify_chains()` checks every chain; an anchor lists every chain's head. `ACTION_LABELS`
(at the end) says in words what each action code means.

Every row names its actor. A signed-in person or a background job (the system user,
`User.objects.system_actor()`) is stored as `actor` plus `actor_label` (the e-mail at the
time). Someone without an account (a visitor of the contact form, a patient holding a
self-report link) is an `Anonymous` actor: no `actor` row, and `actor_label` says how they
reached us ("anonymous:contact-form"). `audit()` refuses None and Django's AnonymousUser, so a
row can never be silently written by nobody.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.core import context
from clinic.core.jobs import BreaksFound
from clinic.core.models import AuditEvent

GENESIS_HASH = "0" * 64
# The first half of each chain's advisory lock key on PostgreSQL; the second is the site's id
# (0 for the chain of rows without a site). Any constant will do.
_CHAIN_LOCK_CLASS = 0x41756474  # "Audt"

LEGACY_CHAIN = "legacy"
GLOBAL_CHAIN = "global"

_HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "outcome",
    "patient_id",
    "object_type",
    "object_id",
    "site_id",
    "ip",
    "user_agent",
    "request_id",
    "reason",
    "prev_hash",
)


def compute_hash(event: AuditEvent) -> str:
    payload = {}
    for name in _HASHED_FIELDS:
        if name == "chain" and event.chain == LEGACY_CHAIN:
            continue  # legacy rows were hashed before chains existed
        value = getattr(event, name)
        if name == "at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        payload[name] = value
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MissingActor(ValueError):
    """`audit()` was called without saying who acted."""


@dataclass(frozen=True)
class Anonymous:
    """Someone acting without an account, named by the way they reached the system."""

    channel: str  # short, stable, ASCII: it is stored in every row this actor writes
    pk = None
    is_authenticated = False

    @property
    def label(self) -> str:
        return f"anonymous:{self.channel}"


# Anyone not signed in, where no narrower channel applies (a refused page, a failed sign-in).
VISITOR = Anonymous("visitor")


def _actor_fields(actor) -> tuple[int | None, str]:
    if isinstance(actor, Anonymous):
        return None, actor.label
    if actor is None or not actor.is_authenticated or actor.pk is None:
        raise MissingActor(
            "audit() needs a named actor: a user, the system user or an Anonymous channel"
        )
    return actor.pk, actor.email


def chain_for(site_id: int | None) -> str:
    return f"site-{site_id}" if site_id is not None else GLOBAL_CHAIN


def chain_lock_key(site_id: int | None) -> tuple[int, int]:
    """The two-part advisory lock key of a site's chain (PostgreSQL)."""
    return _CHAIN_LOCK_CLASS, site_id or 0


def _lock_chain(site_id: int | None) -> None:
    # SQLite needs nothing here: its transactions start IMMEDIATE (settings), so the writer
    # already holds the database's single write lock. PostgreSQL needs an explicit lock, one
    # per chain, held to the end of the transaction.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", chain_lock_key(site_id))


def audit(
    actor,
    action: str,
    patient=None,
    *,
    obj=None,
    site=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    reason: str = "",
) -> AuditEvent:
    """Append one event. `actor` is a user or an `Anonymous` channel; None is refused."""
    actor_id, actor_label = _actor_fields(actor)
    ctx = context.current()
    if obj is not None and site is None:
        site = getattr(obj, "site", None)
    if patient is not None and site is None:
        site = getattr(patient, "home_site", None)
    site_id = site.pk if site is not None else None
    chain = chain_for(site_id)
    with transaction.atomic():
        _lock_chain(site_id)
        last = (
            AuditEvent.objects.filter(chain=chain)
            .order_by("-seq")
            .values_list("seq", "row_hash")
            .first()
        )
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event = AuditEvent(
            chain=chain,
            seq=seq,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            outcome=outcome,
            patient_id=patient.pk if patient is not None else None,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(getattr(obj, "public_id", getattr(obj, "pk", ""))) if obj else "",
            site_id=site_id,
            ip=ctx.ip,
            user_agent=ctx.user_agent[:300],
            request_id=ctx.request_id,
            reason=reason[:500],
            prev_hash=prev_hash,
        )
        event.row_hash = compute_hash(event)
        event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Finding:
    chain: str
    seq: int
    problem: str

    def __str__(self):
        return f"chain {self.chain} row {self.seq}: {self.problem}"


def chains() -> list[str]:
    return sorted(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())


def verify_chain(chain: str, batch_size: int = 2000) -> list[Finding]:
    """Walk one chain in `seq` order and name every row that does not fit.

    An edited row no longer matches its own hash; a deleted row leaves a gap in `seq` and a
    broken link; reordered rows break the links to their neighbours. A row of a site's chain
    must belong to that site, so a row moved between chains is named too.
    """
    findings: list[Finding] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    rows = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=batch_size)
    for event in rows:
        if event.seq != expected_seq:
            findings.append(
                Finding(chain, event.seq, f"rows {expected_seq}..{event.seq - 1} are missing")
            )
        if event.prev_hash != prev_hash:
            findings.append(Finding(chain, event.seq, "does not link to the row before it"))
        if compute_hash(event) != event.row_hash:
            findings.append(Finding(chain, event.seq, "content differs from its hash (edited)"))
        if chain != LEGACY_CHAIN and chain_for(event.site_id) != chain:
            findings.append(Finding(chain, event.seq, "belongs to another site's chain"))
        expected_seq, prev_hash = event.seq + 1, event.row_hash
    return findings


def verify_chains(batch_size: int = 2000) -> list[Finding]:
    """Every chain, each walked on its own."""
    return [f for chain in chains() for f in verify_chain(chain, batch_size)]


def verify_trail() -> int:
    """The worker's daily check of every chain (core.jobs): the rows checked, or
    `BreaksFound` naming the first breaks, which the administrator's start page shows."""
    findings = verify_chains()
    if findings:
        raise BreaksFound(findings)
    return AuditEvent.objects.count()


def current_anchor() -> str:
    """Every chain's head as `CHAIN:SEQ:HASH`, comma-separated; empty for an empty trail."""
    heads = []
    for chain in chains():
        seq, row_hash = (
            AuditEvent.objects.filter(chain=chain)
            .order_by("-seq")
            .values_list("seq", "row_hash")
            .first()
        )
        heads.append(f"{chain}:{seq}:{row_hash}")
    return ",".join(heads)


def check_anchor(anchor: str) -> list[Finding]:
    """Compare the trail with an anchor recorded earlier outside the database.

    A chain alone cannot show that its newest rows were removed (what is left is still a valid
    chain), nor that a whole chain was removed. An anchor kept elsewhere (the nightly
    verification log) lists every chain's head as `CHAIN:SEQ:HASH`, comma-separated, and can.
    An anchor of the single chain before chains existed (`SEQ:HASH`) names the legacy chain.
    """
    findings: list[Finding] = []
    for head in anchor.split(","):
        parts = head.strip().split(":")
        if len(parts) == 2:
            parts = [LEGACY_CHAIN, *parts]
        try:
            chain, seq_text, expected = parts
            seq = int(seq_text)
        except ValueError:
            return [Finding("", 0, f"the anchor {anchor!r} is not CHAIN:SEQ:HASH,...")]
        stored = (
            AuditEvent.objects.filter(chain=chain, seq=seq)
            .values_list("row_hash", flat=True)
            .first()
        )
        if stored is None:
            findings.append(
                Finding(chain, seq, "is gone: rows were removed from the end of the chain")
            )
        elif stored != expected:
            findings.append(Finding(chain, seq, "differs from the anchor recorded earlier"))
    return findings


# What each action code means, for the people reading the trail (/staff/audit/). Codes stay
# as written in the rows and the CSV export; a code missing here is shown as it is.
ACTION_LABELS = {
    "access.denied": _("Access denied"),
    "appointment.booked": _("Visit booked"),
    "appointment.confirmation.printed": _("Visit confirmation printed"),
    "appointment.cancelled": _("Visit cancelled"),
    "appointment.moved": _("Visit moved"),
    "appointment.room_changed": _("Visit room changed"),
    "appointment.series.booked": _("Series of visits booked"),
    "appointment.series.moved": _("Series of visits moved"),
    "appointment.session_ended": _("Visit closed with its session"),
    "appointment.viewed": _("Visit opened"),
    "assessment.alert.acknowledged": _("Safety alert acknowledged"),
    "assessment.alert.escalated": _("Safety alert escalated"),
    "assessment.alert.escalation_failed": _("Safety alert escalation failed"),
    "assessment.alert.raised": _("Safety alert raised"),
    "assessment.alert.viewed": _("Safety alert opened"),
    "assessment.alerts.viewed": _("Safety alerts listed"),
    "assessment.answer_saved": _("Questionnaire answer saved"),
    "assessment.licensed_text.uploaded": _("Licensed questionnaire text uploaded"),
    "assessment.link.issued": _("Self-report link issued"),
    "assessment.link.opened": _("Self-report link opened"),
    "assessment.link.reminded": _("Self-report reminder sent"),
    "assessment.link.sent": _("Self-report link sent"),
    "assessment.link.shown": _("Self-report link shown"),
    "assessment.on_duty.added": _("On-duty physician added"),
    "assessment.on_duty.removed": _("On-duty physician removed"),
    "assessment.outcomes.exported": _("Outcomes exported"),
    "assessment.outcomes.report_viewed": _("Outcomes report opened"),
    "assessment.outcomes.viewed": _("Outcomes opened"),
    "assessment.policy.changed": _("Questionnaire policy changed"),
    "assessment.recorded": _("Score recorded"),
    "assessment.reviewed": _("Score reviewed"),
    "assessment.refused": _("Questionnaire action refused"),
    "assessment.safety_confirmation_needed": _("Safety confirmation needed"),
    "assessment.schedule.activated": _("Questionnaire schedule resumed"),
    "assessment.schedule.created": _("Questionnaire schedule created"),
    "assessment.schedule.paused": _("Questionnaire schedule paused"),
    "assessment.settings.changed": _("Questionnaire settings changed"),
    "assessment.submitted": _("Questionnaire submitted"),
    "assessment.viewed": _("Score opened"),
    "audit.exported": _("Audit log exported"),
    "audit.viewed": _("Audit log opened"),
    "auth.sign_in_failed": _("Sign-in failed"),
    "auth.signed_in": _("Signed in"),
    "auth.signed_out": _("Signed out"),
    "board.viewed": _("Chair board opened"),
    "change.refused": _("Change refused"),
    "closure.added": _("Closure day added"),
    "closure.changed": _("Closure day changed"),
    "closure.removed": _("Closure day removed"),
    "course.approved": _("Course approved"),
    "course.closed": _("Course closed"),
    "course.eligibility.confirmed_without_decision": _(
        "Course eligibility confirmed without a decision"
    ),
    "course.list.viewed": _("Courses listed"),
    "course.refused": _("Course action refused"),
    "course.viewed": _("Course opened"),
    "drugs.access.denied": _("Register access denied"),
    "drugs.administration.recorded": _("Administration recorded in the register"),
    "drugs.catalogue.drug_added": _("Drug added to the catalogue"),
    "drugs.catalogue.drug_changed": _("Catalogue drug changed"),
    "drugs.catalogue.restored": _("Catalogue item restored"),
    "drugs.catalogue.retired": _("Catalogue item retired"),
    "drugs.catalogue.safe_added": _("Safe added"),
    "drugs.catalogue.safe_changed": _("Safe changed"),
    "drugs.catalogue.supplier_added": _("Supplier added"),
    "drugs.catalogue.supplier_changed": _("Supplier changed"),
    "drugs.count.recorded": _("Stock count recorded"),
    "drugs.count.viewed": _("Stock count opened"),
    "drugs.discrepancy.resolved": _("Discrepancy resolved"),
    "drugs.entry.reversed": _("Register entry reversed"),
    "drugs.entry.viewed": _("Register entry opened"),
    "drugs.holding.viewed": _("Holding opened"),
    "drugs.journal.viewed": _("Register journal opened"),
    "drugs.ledger.anchored": _("Register anchored"),
    "drugs.overview.viewed": _("Register overview opened"),
    "drugs.refused": _("Register action refused"),
    "drugs.residue.destroyed": _("Residue destroyed"),
    "drugs.stock.destroyed": _("Stock destroyed"),
    "drugs.stock.received": _("Stock received"),
    "drugs.stock.transferred": _("Stock transferred"),
    "drugs.witness.refused": _("Witness refused"),
    "formulary.minimum_dose.changed": _("Minimum dose changed"),
    "formulary.minimum_dose.co_signed": _("Minimum dose change co-signed"),
    "formulary.minimum_dose.proposed": _("Minimum dose change proposed"),
    "formulary.minimum_dose.rejected": _("Minimum dose change rejected"),
    "formulary.refused": _("Formulary action refused"),
    "formulary.rules.changed": _("Adequacy rules changed"),
    "formulary.rules.co_signed": _("Adequacy rules change co-signed"),
    "formulary.rules.proposed": _("Adequacy rules change proposed"),
    "formulary.rules.rejected": _("Adequacy rules change rejected"),
    "formulary.rules.signed_off": _("Adequacy rules signed off"),
    "infusion.aborted": _("Infusion abandoned"),
    "infusion.administration.recorded": _("Administration recorded"),
    "infusion.administration.refused": _("Administration refused"),
    "infusion.adverse_event.recorded": _("Adverse event recorded"),
    "infusion.alert.acknowledged": _("Infusion alert acknowledged"),
    "infusion.alert.escalated": _("Infusion alert escalated"),
    "infusion.alert.notified": _("Infusion alert sent"),
    "infusion.alert.raised": _("Infusion alert raised"),
    "infusion.alert.refused": _("Infusion alert action refused"),
    "infusion.alert.resolved": _("Infusion alert resolved"),
    "infusion.bp_decision": _("Blood pressure decision recorded"),
    "infusion.bp_decision.refused": _("Blood pressure decision refused"),
    "infusion.checked_in": _("Patient checked in for infusion"),
    "infusion.discharge.refused": _("Discharge refused"),
    "infusion.discharged": _("Patient discharged"),
    "infusion.discharged.override": _("Patient discharged with criteria unmet"),
    "infusion.dose.changed": _("Dose changed"),
    "infusion.dose.refused": _("Dose refused"),
    "infusion.dose.signed": _("Dose signed"),
    "infusion.ended": _("Infusion ended"),
    "infusion.interrupted": _("Infusion interrupted"),
    "infusion.precheck.blocked": _("Pre-infusion check blocked the start"),
    "infusion.precheck.differs_from_chart": _("Pre-infusion check differs from the chart"),
    "infusion.precheck.recorded": _("Pre-infusion check recorded"),
    "infusion.precheck.refused": _("Pre-infusion check refused"),
    "infusion.preparation.check.refused": _("Preparation check refused"),
    "infusion.preparation.checked": _("Preparation checked"),
    "infusion.preparation.recorded": _("Preparation recorded"),
    "infusion.preparation.refused": _("Preparation refused"),
    "infusion.record.printed": _("Infusion record printed"),
    "infusion.refused": _("Infusion action refused"),
    "infusion.resumed": _("Infusion resumed"),
    "infusion.scheduled": _("Infusion scheduled"),
    "infusion.score.recorded": _("Infusion score recorded"),
    "infusion.start.refused": _("Infusion start refused"),
    "infusion.started": _("Infusion started"),
    "infusion.stopped": _("Infusion stopped"),
    "infusion.viewed": _("Infusion opened"),
    "infusion.vitals.recorded": _("Vital signs recorded"),
    "infusion.vitals.refused": _("Vital signs refused"),
    "inquiry.assigned": _("Inquiry assigned"),
    "inquiry.consent_text.published": _("Inquiry consent text published"),
    "inquiry.converted": _("Inquiry turned into a patient"),
    "inquiry.list.viewed": _("Inquiries listed"),
    "inquiry.note_added": _("Inquiry note added"),
    "inquiry.received": _("Inquiry received"),
    "inquiry.refused": _("Inquiry action refused"),
    "inquiry.status_changed": _("Inquiry status changed"),
    "inquiry.viewed": _("Inquiry opened"),
    "note.addendum_added": _("Addendum added to a note"),
    "note.edited": _("Note edited"),
    "note.refused": _("Note action refused"),
    "note.signed": _("Note signed"),
    "note.viewed": _("Note opened"),
    "note.written": _("Note written"),
    "outbox.message.denied": _("Message access denied"),
    "outbox.retried": _("Message sent again"),
    "patient.blood_pressure.recorded": _("Blood pressure recorded"),
    "patient.chart.viewed": _("Chart opened"),
    "patient.clinical.viewed": _("Clinical record opened"),
    "patient.consent.duplicate": _("Duplicate consent refused"),
    "patient.consent.recorded": _("Consent recorded"),
    "patient.consent.withdrawn": _("Consent withdrawn"),
    "patient.consent_wording.published": _("Consent wording published"),
    "patient.details.changed": _("Patient details changed"),
    "patient.eligibility.decided": _("Eligibility decided"),
    "patient.erased": _("Patient data erased"),
    "patient.exported": _("Patient record exported"),
    "patient.intake.recorded": _("Intake recorded"),
    "patient.intake.viewed": _("Intake opened"),
    "patient.ketamine_screen.viewed": _("Ketamine screening opened"),
    "patient.list.viewed": _("Patients listed"),
    "patient.medication.added": _("Medication added"),
    "patient.medication.stopped": _("Medication stopped"),
    "patient.note.viewed": _("Patient note opened"),
    "patient.note.written": _("Patient note written"),
    "patient.prior_treatment.added": _("Prior treatment added"),
    "patient.privacy_request.closed": _("Privacy request closed"),
    "patient.privacy_request.received": _("Privacy request received"),
    "patient.refused": _("Patient record action refused"),
    "patient.registered": _("Patient registered"),
    "patient.trial.added": _("Treatment trial added"),
    "patient.weight.recorded": _("Weight recorded"),
    "record.refused": _("Record action refused"),
    "record.strike_out.refused": _("Strike-out refused"),
    "record.struck_out": _("Entry marked as entered in error"),
    "refused": _("Action refused"),
    "room.added": _("Room added"),
    "room.changed": _("Room changed"),
    "schedule.absence.added": _("Absence added"),
    "schedule.absence.removed": _("Absence removed"),
    "schedule.calendar_feed.issued": _("Calendar feed address issued"),
    "schedule.day.printed": _("Day list printed"),
    "schedule.day.viewed": _("Day board opened"),
    "schedule.feed.read": _("Calendar feed read"),
    "schedule.hours.changed": _("Working hours changed"),
    "schedule.refused": _("Booking refused"),
    "schedule.slots.searched": _("Free times searched"),
    "schedule.visit_type.changed": _("Visit type changed"),
    "schedule.visit_type.created": _("Visit type created"),
    "schedule.week.viewed": _("Week opened"),
    "session.visit.refused": _("Session visit refused"),
    "site.changed": _("Site changed"),
    "staff.changed": _("Staff member changed"),
    "staff.created": _("Staff member added"),
    "staff.deactivated": _("Staff member deactivated"),
    "staff.reactivated": _("Staff member reactivated"),
    "status.change.refused": _("Status change refused"),
    "tes.completed": _("TES session completed"),
    "tes.limits.refused": _("TES settings beyond the limits refused"),
    "tes.refused": _("TES session action refused"),
    "tes.started": _("TES session started"),
    "tes.viewed": _("TES session opened"),
    "treatment.refused": _("Treatment action refused"),
    "treatment.settings.changed": _("Treatment settings changed"),
    "treatment.settings.co_signed": _("Treatment settings change co-signed"),
    "treatment.settings.proposed": _("Treatment settings change proposed"),
    "treatment.settings.refused": _("Treatment settings change refused"),
    "treatment.settings.rejected": _("Treatment settings change rejected"),
    "waitlist.added": _("Added to the waitlist"),
    "waitlist.booked": _("Waitlist place booked"),
    "waitlist.list.viewed": _("Waitlist opened"),
    "waitlist.offer_released": _("Waitlist offer released"),
    "waitlist.offered": _("Waitlist place offered"),
    "waitlist.viewed": _("Waitlist entry opened"),
    "waitlist.withdrawn": _("Taken off the waitlist"),
    "website.page.changed": _("Website page changed"),
    "website.page.created": _("Website page created"),
    "appointment.booked_online": _("Visit booked online"),
    "appointment.online.called_back": _("Online booking called back"),
    "appointment.online.code_sent": _("Online booking code sent"),
    "appointment.online.held": _("Time held for online booking"),
    "appointment.online.released": _("Time held online released"),
    "appointment.online.wrong_code": _("Wrong online booking code"),
    "billing.account.viewed": _("Patient account opened"),
    "billing.charged": _("Visit charged"),
    "billing.credit_note.issued": _("Credit note issued"),
    "billing.discount.given": _("Discount given"),
    "billing.fee_charged": _("Cancellation or missed-visit fee charged"),
    "billing.invoice.issued": _("Invoice issued"),
    "billing.invoice.printed": _("Invoice printed"),
    "billing.package.defined": _("Package defined"),
    "billing.package.sold": _("Package sold"),
    "billing.package.unit_used": _("Package visit used"),
    "billing.package.withdrawn": _("Package withdrawn from sale"),
    "billing.payment.refunded": _("Payment refunded"),
    "billing.payment.taken": _("Payment taken"),
    "billing.payment_request.callback_rejected": _("Payment service callback rejected"),
    "billing.payment_request.expired": _("Payment link expired"),
    "billing.payment_request.failed": _("Payment link failed"),
    "billing.payment_request.paid": _("Payment link paid"),
    "billing.payment_request.sent": _("Payment link sent"),
    "billing.policy.changed": _("Fee policy changed"),
    "billing.price.set": _("Price set"),
    "billing.receipt.registered": _("Fiscal receipt registered"),
    "billing.receipt.retried": _("Fiscal receipt registration retried"),
    "billing.refused": _("Billing action refused"),
    "billing.till.closed": _("Till closed"),
    "billing.till.opened": _("Till opened"),
    "infusion.rate.changed": _("Infusion rate changed"),
    "infusion.rate.refused": _("Infusion rate change refused"),
    "infusion.resume.refused": _("Infusion resume refused"),
    "portal.consent.refused": _("Portal consent refused"),
    "portal.invite.refused": _("Portal invitation refused"),
    "portal.invited": _("Invited to the patient portal"),
    "portal.message.closed": _("Conversation with a patient closed"),
    "portal.message.limited": _("Message from the portal limited"),
    "portal.message.refused": _("Message in the portal refused"),
    "portal.message.replied": _("Reply to a patient's message"),
    "portal.message.sent": _("Message from the patient to the care team"),
    "portal.message.viewed": _("Patient's messages opened"),
    "portal.policy.changed": _("Portal policy changed"),
    "portal.refused": _("Portal action refused"),
    "portal.release.refused": _("Score release refused"),
    "portal.scores.released": _("Scores released to the patient"),
    "portal.sign_in.limited": _("Portal sign-in limited"),
    "portal.sign_in.rejected": _("Portal sign-in rejected"),
    "portal.signed_in": _("Signed in to the patient portal"),
    "portal.totp.added": _("Authenticator app added in the portal"),
    "portal.totp.rejected": _("Authenticator app code rejected in the portal"),
    "portal.totp.removed": _("Authenticator app removed in the portal"),
    "portal.summary.downloaded": _("Session summary downloaded in the portal"),
    "portal.summary.refused": _("Session summary refused"),
    "portal.summary.released": _("Session summary released to the patient"),
    "portal.summary.viewed": _("Session summary opened"),
    "portal.summary.withdrawn": _("Session summary withdrawn from the portal"),
    "portal.summary.written": _("Session summary written"),
    "portal.signed_out": _("Signed out of the patient portal"),
    "portal.totp.reset": _("Patient's authenticator app removed by staff"),
    "portal.trusted.changed": _("Trusted person changed something in the portal"),
    "portal.trusted.denied": _("Trusted person refused a portal page outside their access"),
    "portal.trusted.granted": _("Trusted person given portal access"),
    "portal.trusted.refused": _("Trusted person not given portal access"),
    "portal.trusted.revoked": _("Trusted person's portal access withdrawn"),
    "portal.trusted.signed_in": _("Trusted person signed in to the portal"),
    "portal.trusted.viewed": _("Trusted person opened a portal page"),
    "portal.visit.cancel_refused": _("Cancellation in the portal refused"),
    "portal.visit.move_refused": _("Move in the portal refused"),
    "schedule.online.hold_lost": _("Online hold lost"),
    "schedule.online.rate_limited": _("Online booking limited"),
    "schedule.online.refused": _("Online booking refused"),
}


def action_label(code: str) -> str:
    """The human label of an audit action code in the active language; the code when unknown."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
