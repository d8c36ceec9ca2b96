"""Messages from the patient to the care team: the writes (send, reply, close, read) and the
reads (the patient's threads, the staff worklists and counts).

A message is routed by its topic: appointments and practical matters to the reception of the
patient's site, a treatment question to the treating clinician (the responsible physician of
the open course, else the patient's physician; if neither, every physician of the site). It
is text only, never an attachment, and never a channel for emergencies: the pages show the
crisis contacts always, and nothing here reads the text to triage it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.accounts.roles import Role
from clinic.core.audit import audit
from clinic.core.models import AuditEvent
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url
from clinic.core.records import transition
from clinic.core.worklists import CAP, WorkItem
from clinic.courses.models import Course
from clinic.patients.models import Patient
from clinic.portal.models import CareMessage, MessageThread, PortalAccount, PortalPolicy
from clinic.portal.services import PortalRefused, portal_actor


class MessageRefused(PortalRefused):
    """Empty or too long text, a closed thread."""

    code = "portal.message.refused"


class MessagesLimited(PortalRefused):
    """Too many messages in the last hour."""

    code = "portal.message.limited"


# --- routing -----------------------------------------------------------------------------------


def treating_clinician(patient: Patient):
    """The responsible physician of the patient's open course, else the patient's physician;
    None when neither is an active account (the site's physicians then share the question)."""
    course = (
        Course.objects.filter(patient=patient, status=Course.Status.ACTIVE)
        .select_related("responsible_physician")
        .order_by("-opened_on", "-pk")
        .first()
    )
    if course is not None and course.responsible_physician.is_active:
        return course.responsible_physician
    if patient.physician_id and patient.physician.is_active:
        return patient.physician
    return None


def reply_working_days(site) -> int | None:
    """The site's promise of an answer, in working days (clinic policy); None if unset."""
    policy = PortalPolicy.objects.filter(site=site).only("reply_working_days").first()
    return policy.reply_working_days if policy else None


# --- writes --------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """The text as it will be kept, or a refusal the patient (or member of staff) reads."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise MessageRefused(_("Write your message first: it is empty."))
    if len(text) > CareMessage.MAX_LENGTH:
        raise MessageRefused(
            _("The message is too long: at most %(max)s characters, this one has %(count)s.")
            % {"max": CareMessage.MAX_LENGTH, "count": len(text)}
        )
    return text


def _deny(patient, refusal: PortalRefused, *, obj=None) -> None:
    """The patient's refusal's audit row, in its own transaction (the caller's rolls back)."""
    with transaction.atomic():
        audit(
            portal_actor(),
            refusal.code,
            patient,
            obj=obj,
            outcome=AuditEvent.Outcome.DENIED,
            reason=refusal.message[:200],
        )


def _check_rate(account: PortalAccount, now) -> None:
    sent = CareMessage.objects.filter(
        thread__patient_id=account.patient_id,
        author__isnull=True,
        sent_at__gte=now - timedelta(hours=1),
    ).count()
    if sent >= settings.PORTAL_MESSAGES_PER_HOUR:
        raise MessagesLimited(
            _(
                "You have sent %(count)s messages in the last hour, the most the portal takes. "
                "Please wait before writing again, or phone the centre. In an emergency call 112."
            )
            % {"count": sent}
        )


def _lock_account(account: PortalAccount) -> None:
    # Lock order: docs/architecture.md, "Locks and their order" (the portal account row,
    # nothing else): two tabs sending at once are counted one after the other.
    PortalAccount.objects.select_for_update(of=("self",), no_key=True).filter(pk=account.pk).first()


def send_message(account: PortalAccount, *, topic: str, text: str) -> MessageThread:
    """The patient starts a thread to the care team; routed by its topic."""
    patient = account.patient
    try:
        return _send(account, topic=topic, text=text)
    except PortalRefused as refusal:
        _deny(patient, refusal)
        raise


@transaction.atomic
def _send(account: PortalAccount, *, topic: str, text: str) -> MessageThread:
    if topic not in MessageThread.Topic.values:
        raise MessageRefused(_("Choose what your message is about."))
    text = _clean(text)
    now = timezone.now()
    _lock_account(account)
    _check_rate(account, now)
    patient = account.patient
    thread = MessageThread.objects.create(
        patient=patient,
        site=patient.home_site,
        topic=topic,
        addressed_to=None
        if topic in MessageThread.RECEPTION_TOPICS
        else treating_clinician(patient),
        created_at=now,
        last_message_at=now,
        awaiting_reply=True,
    )
    message = CareMessage.objects.create(thread=thread, text=text, sent_at=now)
    audit(portal_actor(), "portal.message.sent", patient, obj=message, reason=topic)
    return thread


def add_patient_message(account: PortalAccount, thread: MessageThread, *, text: str) -> CareMessage:
    """The patient writes again in their own open thread."""
    try:
        return _add_patient_message(account, thread, text=text)
    except PortalRefused as refusal:
        _deny(account.patient, refusal, obj=thread)
        raise


@transaction.atomic
def _add_patient_message(account, thread, *, text):
    text = _clean(text)
    now = timezone.now()
    _lock_account(account)
    thread = _locked(thread)
    if thread.status != MessageThread.Status.OPEN:
        raise MessageRefused(_("This conversation is closed. Please start a new message."))
    _check_rate(account, now)
    message = CareMessage.objects.create(thread=thread, text=text, sent_at=now)
    thread.last_message_at = now
    thread.awaiting_reply = True
    thread.reply_unread = False
    thread.save(update_fields=["last_message_at", "awaiting_reply", "reply_unread"])
    audit(portal_actor(), "portal.message.sent", thread.patient, obj=message, reason=thread.topic)
    return message


def _locked(thread: MessageThread) -> MessageThread:
    # Lock order: after the portal account (patient side) or alone (staff side).
    locked = MessageThread.objects.select_for_update(of=("self",), no_key=True).get(pk=thread.pk)
    locked.patient = thread.patient
    return locked


def _notify(thread: MessageThread) -> None:
    """Tell the patient a reply waits in the portal: no message text leaves the system."""
    account = PortalAccount.objects.filter(patient=thread.patient, is_active=True).first()
    if account is None:
        return
    with translation.override(account.language):
        link = public_url(reverse("portal:thread", kwargs={"thread_id": thread.public_id}))
        body = _(
            "You have a new reply from the centre in your patient portal: %(link)s. "
            "In an emergency call 112."
        ) % {"link": link}
        subject = _("A new reply in your patient portal")
    by_email = account.channel == PortalAccount.Channel.EMAIL
    enqueue_message(
        channel=account.channel,
        recipient=account.email if by_email else account.phone,
        subject=subject if by_email else "",
        body=body,
        site=thread.site,
    )


@transaction.atomic
def reply(thread: MessageThread, *, text: str, actor) -> CareMessage:
    """A member of staff answers the patient; the patient is told by their channel. (A
    refusal is audited by the view, `core.refusals.refused`.)"""
    text = _clean(text)
    thread = _locked(thread)
    if thread.status != MessageThread.Status.OPEN:
        raise MessageRefused(_("This conversation is closed: the patient starts a new one."))
    now = timezone.now()
    message = CareMessage.objects.create(thread=thread, author=actor, text=text, sent_at=now)
    thread.last_message_at = now
    thread.awaiting_reply = False
    thread.reply_unread = True
    thread.save(update_fields=["last_message_at", "awaiting_reply", "reply_unread"])
    audit(actor, "portal.message.replied", thread.patient, obj=message, reason=thread.topic)
    _notify(thread)
    return message


@transaction.atomic
def close_thread(thread: MessageThread, *, actor) -> MessageThread:
    """Staff mark the conversation done: it leaves the worklists and takes no more messages."""
    locked = _locked(thread)
    if locked.status != MessageThread.Status.OPEN:
        raise MessageRefused(_("This conversation is already closed."))
    locked.awaiting_reply = False
    return transition(
        locked,
        MessageThread.Status.CLOSED,
        actor=actor,
        audit_as="portal.message.closed",
        also=["awaiting_reply"],
    )


@transaction.atomic
def record_staff_read(thread: MessageThread, *, actor) -> None:
    """A member of staff opened the thread (a chart read)."""
    audit(actor, "portal.message.viewed", thread.patient, obj=thread, reason=thread.topic)


@transaction.atomic
def record_patient_read(account: PortalAccount, thread: MessageThread) -> None:
    """The patient opened their thread: the replies in it are no longer new."""
    MessageThread.objects.filter(pk=thread.pk).update(reply_unread=False)
    thread.reply_unread = False
    audit(portal_actor(), "portal.message.viewed", account.patient, obj=thread)


# --- reads ---------------------------------------------------------------------------------------


def threads_of(patient) -> list[MessageThread]:
    """The patient's threads, newest first, each with its messages (two queries)."""
    return list(
        MessageThread.objects.filter(patient=patient)
        .select_related("addressed_to")
        .prefetch_related("messages__author")
        .order_by("-last_message_at", "-pk")
    )


def unread_count(patient) -> int:
    return MessageThread.objects.filter(patient=patient, reply_unread=True).count()


def waiting_for(user, site_ids):
    """Open threads whose last word is the patient's, that this user answers: reception the
    practical topics of their sites, a physician the treatment questions addressed to them
    (or to nobody in particular at their sites)."""
    waiting = MessageThread.objects.filter(
        status=MessageThread.Status.OPEN, awaiting_reply=True, site_id__in=site_ids
    )
    mine = Q(pk__in=[])
    if user.has_role(Role.RECEPTIONIST):
        mine |= Q(topic__in=MessageThread.RECEPTION_TOPICS)
    if user.has_role(Role.PHYSICIAN):
        treatment = Q(topic=MessageThread.Topic.TREATMENT)
        mine |= treatment & (Q(addressed_to=user) | Q(addressed_to__isnull=True))
    return waiting.filter(mine)


def waiting_count(user) -> int:
    """For the number beside "Messages from patients" in the staff menu."""
    if not user.has_role(Role.RECEPTIONIST, Role.PHYSICIAN):
        return 0
    return waiting_for(user, user.site_ids).count()


def waiting_list(user, site_ids, limit=CAP) -> list[MessageThread]:
    return list(
        waiting_for(user, site_ids)
        .select_related("patient", "site", "addressed_to")
        .order_by("last_message_at", "pk")[:limit]
    )


def worklist(user, site) -> list[WorkItem]:
    """The staff start page's list (core.worklists): messages waiting for an answer, oldest
    first; one older than the site's promised answer time is marked."""
    now = timezone.now()
    days = reply_working_days(site) or 2
    items = []
    for thread in waiting_list(user, [site.pk]):
        items.append(
            WorkItem(
                text=thread.patient.full_name,
                url=reverse("portal_staff:thread", kwargs={"thread_id": thread.public_id}),
                detail=f"{thread.get_topic_display()}, "
                f"{date_format(timezone.localtime(thread.last_message_at), 'd.m.Y H:i')}",
                when=thread.last_message_at,
                # Calendar days stand in for working days here: a mark, not a deadline.
                urgent=now - thread.last_message_at > timedelta(days=days),
            )
        )
    return items


def export_rows(patient) -> list[dict]:
    """The patient's threads and messages for their data export."""
    return [
        {
            "topic": thread.topic,
            "topic_label": str(thread.get_topic_display()),
            "status": thread.status,
            "started_at": thread.created_at,
            "messages": [
                {
                    "from": "patient" if m.from_patient else "staff",
                    "author": "" if m.from_patient else m.author.full_name,
                    "sent_at": m.sent_at,
                    "text": m.text,
                }
                for m in thread.messages.all()
            ],
        }
        for thread in threads_of(patient)
    ]
