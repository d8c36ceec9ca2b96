"""Receiving inquiries from the public form, and the reception's work on them."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.core.audit import Anonymous, audit
from clinic.core.errors import Refused
from clinic.core.idempotency import once
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.inquiries import hooks
from clinic.inquiries.models import Channel, ConsentText, Inquiry, InquiryEvent
from clinic.patients.models import Patient
from clinic.patients.services import next_record_number, register_patient

# Who sends the public contact form: a visitor without an account.
CONTACT_FORM = Anonymous("contact-form")


class SubmissionRefused(Refused):
    """The inquiry was not stored; the message says why, in the visitor's language."""

    code = "inquiry.refused"


def sender_hash(ip: str | None) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"inquiry-sender:{ip or '-'}".encode(), hashlib.sha256).hexdigest()


def current_consent() -> ConsentText | None:
    return ConsentText.objects.filter(effective_from__lte=timezone.now()).first()


@transaction.atomic
def submit_inquiry(
    *, data: dict, consent_version: int, language: str, ip: str | None, actor
) -> Inquiry:
    """Store an inquiry and announce it to the site's reception through the outbox.

    The announcement carries no health details (the message stays in the system); a mail
    server that is down only delays it. `actor` is `CONTACT_FORM` for the public form.
    """
    sender = sender_hash(ip)
    since = timezone.now() - timedelta(hours=1)
    if Inquiry.objects.filter(sender_hash=sender, received_at__gte=since).count() >= (
        settings.INQUIRY_LIMIT_PER_HOUR
    ):
        raise SubmissionRefused(
            _("Too many messages from your connection in the last hour. Please call us instead.")
        )
    consent = current_consent()
    if consent is None or consent.version != consent_version:
        raise SubmissionRefused(
            _("The consent text has just changed. Please read it again and confirm.")
        )
    inquiry = Inquiry.objects.create(**data, language=language, consent=consent, sender_hash=sender)
    recipient = inquiry.site.email or settings.DEFAULT_FROM_EMAIL
    with translation.override("uk"):
        enqueue_message(
            channel=OutboxMessage.Channel.EMAIL,
            recipient=recipient,
            subject=_("New inquiry: %(site)s") % {"site": inquiry.site.name},
            body=_("A new inquiry has arrived (%(topic)s). Open it in the inbox:\n%(link)s")
            % {
                "topic": inquiry.get_topic_display(),
                "link": public_url(reverse("inquiries:detail", args=[inquiry.public_id])),
            },
            site=inquiry.site,
            dedupe_key=f"inquiry-received:{inquiry.public_id}",
        )
    _acknowledge(inquiry)
    audit(actor, "inquiry.received", obj=inquiry, site=inquiry.site)
    return inquiry


# The outbox channel that reaches the sender the way they asked to be contacted.
ACKNOWLEDGEMENT_CHANNELS = {
    Channel.PHONE: OutboxMessage.Channel.SMS,
    Channel.TELEGRAM: OutboxMessage.Channel.TELEGRAM,
    Channel.VIBER: OutboxMessage.Channel.VIBER,
    Channel.EMAIL: OutboxMessage.Channel.EMAIL,
}


def _acknowledgement_address(inquiry: Inquiry) -> tuple[str, str] | None:
    channel = ACKNOWLEDGEMENT_CHANNELS.get(inquiry.channel)
    if channel == OutboxMessage.Channel.EMAIL:
        return (channel, inquiry.email) if inquiry.email else None
    if channel is not None and inquiry.phone:
        return (channel, str(inquiry.phone))
    return None


def _acknowledge(inquiry: Inquiry) -> None:
    """Tell the sender their message arrived, by the channel they chose.

    The acknowledgement never repeats what they wrote, nor the topic: an SMS or an e-mail may be
    read by someone else, and the message may be about their health.
    """
    address = _acknowledgement_address(inquiry)
    if address is None:
        return
    channel, recipient = address
    site = inquiry.site
    with translation.override(inquiry.language):
        body = _(
            "%(site)s: we have received your message and will contact you within one working "
            "day. If it is urgent, call us: %(phone)s. In an emergency, call 112."
        ) % {"site": site.name, "phone": site.phone.as_international if site.phone else ""}
        subject = _("We have received your message")
    enqueue_message(
        channel=channel,
        recipient=recipient,
        subject=subject if channel == OutboxMessage.Channel.EMAIL else "",
        body=body,
        site=site,
        dedupe_key=f"inquiry-acknowledged:{inquiry.public_id}",
    )


def _locked(inquiry: Inquiry) -> Inquiry:
    return (
        # Lock order: docs/architecture.md, "Locks and their order".
        Inquiry.objects.select_for_update(of=("self",), no_key=True)
        .select_related("site")
        .get(pk=inquiry.pk)
    )


@transaction.atomic
def change_inquiry_status(inquiry: Inquiry, status: str, *, note: str = "", actor) -> Inquiry:
    """Move an inquiry along new -> contacted -> converted / closed."""
    inquiry = _locked(inquiry)
    # "Became a patient" needs the patient: it goes through convert_inquiry only.
    if status == Inquiry.Status.CONVERTED or not inquiry.can_move_to(status):
        raise SubmissionRefused(_("This change of status is not possible."))
    inquiry.status = status
    inquiry.save(update_fields=["status"])
    InquiryEvent.objects.create(
        inquiry=inquiry, kind=InquiryEvent.Kind.STATUS, status=status, text=note, by=actor
    )
    audit(actor, "inquiry.status_changed", obj=inquiry, reason=status)
    return inquiry


@transaction.atomic
def assign_inquiry(inquiry: Inquiry, *, to, actor) -> Inquiry:
    """Make a colleague responsible for calling the person back."""
    inquiry = _locked(inquiry)
    inquiry.assigned_to = to
    inquiry.save(update_fields=["assigned_to"])
    InquiryEvent.objects.create(
        inquiry=inquiry, kind=InquiryEvent.Kind.ASSIGNED, text=to.full_name, by=actor
    )
    audit(actor, "inquiry.assigned", obj=inquiry, reason=to.email)
    return inquiry


@transaction.atomic
def add_inquiry_note(inquiry: Inquiry, text: str, *, actor) -> InquiryEvent:
    """Write down what happened (a call, no answer, a question)."""
    event = InquiryEvent.objects.create(
        inquiry=inquiry, kind=InquiryEvent.Kind.NOTE, text=text, by=actor
    )
    audit(actor, "inquiry.note_added", obj=inquiry)
    return event


@transaction.atomic
def convert_inquiry(
    inquiry: Inquiry,
    *,
    family_name,
    given_name,
    patronymic,
    birth_date,
    invite_to_portal=False,
    idempotency_key=None,
    actor,
):
    """Register the person as a patient of the inquiry's site and link the inquiry to them,
    and, when asked, invite them to the patient portal in the inquiry's language.

    A resubmission of the same form (same key) returns the patient registered the first time
    (and sends no second invitation).
    """
    return once(
        idempotency_key,
        action="inquiry.converted",
        actor=actor,
        create=lambda: _convert(
            inquiry,
            family_name=family_name,
            given_name=given_name,
            patronymic=patronymic,
            birth_date=birth_date,
            invite_to_portal=invite_to_portal,
            actor=actor,
        ),
    )[0]


def _convert(
    inquiry, *, family_name, given_name, patronymic, birth_date, invite_to_portal=False, actor
):
    inquiry = _locked(inquiry)
    if not inquiry.can_move_to(Inquiry.Status.CONVERTED):
        raise SubmissionRefused(_("Only an inquiry you have contacted can become a patient."))
    patient = register_patient(
        record_number=next_record_number(inquiry.site),
        family_name=family_name,
        given_name=given_name,
        patronymic=patronymic,
        birth_date=birth_date,
        home_site=inquiry.site,
        actor=actor,
        phone=inquiry.phone,
        email=inquiry.email,
        preferred_language="en" if inquiry.language == "en" else "uk",
        preferred_channel=Patient.Channel.EMAIL
        if inquiry.channel == Channel.EMAIL and inquiry.email
        else Patient.Channel.SMS,
    )
    inquiry.status, inquiry.patient = Inquiry.Status.CONVERTED, patient
    inquiry.save(update_fields=["status", "patient"])
    InquiryEvent.objects.create(
        inquiry=inquiry,
        kind=InquiryEvent.Kind.STATUS,
        status=inquiry.status,
        text=patient.record_number,
        by=actor,
    )
    audit(actor, "inquiry.converted", patient, obj=inquiry)
    if invite_to_portal and may_invite(inquiry):
        # The portal's own service: the same account, message and audit row as from the chart.
        try:
            hooks.invite(patient, actor=actor)
        except Refused as refusal:
            # The registration stands; the refusal is on the record and the chart can retry.
            audit(
                actor,
                refusal.code,
                patient,
                obj=inquiry,
                outcome=AuditEvent.Outcome.DENIED,
                reason=refusal.message,
            )
    return patient


def may_invite(inquiry: Inquiry) -> bool:
    """The inquiry left a phone or e-mail and its sender agreed to be contacted there."""
    return hooks.can_invite() and bool(inquiry.phone or inquiry.email) and bool(inquiry.consent_id)


@transaction.atomic
def publish_consent_text(*, text_uk: str, text_en: str, actor) -> ConsentText:
    """Put a new wording of the consent in force; earlier inquiries keep their version."""
    last = (
        # Lock order: docs/architecture.md, "Locks and their order".
        ConsentText.objects.select_for_update(of=("self",), no_key=True)
        .order_by("-version")
        .first()
    )
    consent = ConsentText.objects.create(
        version=(last.version + 1) if last else 1, text_uk=text_uk, text_en=text_en
    )
    audit(actor, "inquiry.consent_text.published", obj=consent, reason=f"v{consent.version}")
    return consent
