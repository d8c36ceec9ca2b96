"""The transactional outbox: enqueue in the caller's transaction, deliver afterwards.

A message is written in the same transaction as the change that caused it, so a rolled-back
change sends nothing and a committed one cannot lose its message. Delivery runs in the task
worker (and in `manage.py deliver_outbox`, the sweeper for cron): claim due rows with a lease,
send outside any transaction, then record the outcome. security.md §6.3.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clinic.core.audit import audit
from clinic.core.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


class DeliveryError(Exception):
    """The sender did not confirm; the message will be tried again."""


def send_email(message: OutboxMessage) -> str:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        # The same Message-ID on every attempt lets the receiving side drop a duplicate
        # delivery when a confirmation was lost.
        headers={"Message-ID": f"<outbox-{message.message_id}@clinic>"},
    )
    if email.send() != 1:
        raise DeliveryError("the mail server did not accept the message")
    return f"<outbox-{message.message_id}@clinic>"


def send_via_gateway(message: OutboxMessage) -> str:
    """SMS, Telegram and Viber go through the gateway configured for the channel."""
    from clinic.core.senders import sender_for

    return sender_for(message.channel).send(message)


SENDERS = {
    OutboxMessage.Channel.EMAIL: send_email,
    OutboxMessage.Channel.SMS: send_via_gateway,
    OutboxMessage.Channel.TELEGRAM: send_via_gateway,
    OutboxMessage.Channel.VIBER: send_via_gateway,
}


def register_sender(channel: str, send) -> None:
    """An app above core delivers a channel of its own (billing: the PRRO) from its
    `AppConfig.ready`; `send(message)` returns a reference or raises, like the senders above."""
    SENDERS[channel] = send


def enqueue_message(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    site=None,
    dedupe_key: str | None = None,
    carries_secret: bool = False,
) -> OutboxMessage:
    """Record a message to send once the current transaction commits.

    `carries_secret` marks a body holding a token (a link that signs someone in, resets a
    password or opens a questionnaire): it is blanked as soon as the message is sent.
    """
    fields = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject,
        "body": body,
        "site": site,
        "carries_secret": carries_secret,
        "body_sha256": body_hash(body),
    }
    with transaction.atomic():
        if dedupe_key:
            message, _ = OutboxMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
        else:
            message = OutboxMessage.objects.create(**fields)
        transaction.on_commit(schedule_delivery)
    return message


def body_hash(body: str) -> str:
    """What stays of a secret-carrying body after sending: enough to prove what was sent."""
    return hashlib.sha256(body.encode()).hexdigest()


def schedule_delivery(run_after=None) -> None:
    """Ask the worker for a delivery run. Losing this request loses nothing: the sweeper
    (`manage.py deliver_outbox`, from cron) finds due rows by itself."""
    from clinic.core.tasks import deliver_outbox

    try:
        if run_after is not None:
            deliver_outbox.using(run_after=run_after).enqueue()
        else:
            deliver_outbox.enqueue()
    except Exception:  # noqa: BLE001 - the message row is safe; only the wake-up failed
        log.exception("could not enqueue the outbox delivery task")


def _claim(message_id: int, now) -> bool:
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )
    return claimed == 1


def backoff(attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def deliver_due(limit: int = 100) -> dict[str, int]:
    """Send what is due. Returns counts of sent, retried and dead-lettered messages."""
    now = timezone.now()
    counts = {"sent": 0, "retry": 0, "dead": 0}
    due_ids = list(
        OutboxMessage.objects.due(now)
        .order_by("next_attempt_at")[:limit]
        .values_list("pk", flat=True)
    )
    for message_id in due_ids:
        if not _claim(message_id, now):
            continue  # another worker has it
        message = OutboxMessage.objects.get(pk=message_id)
        try:
            ref = SENDERS[message.channel](message)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            _record_failure(message, exc)
            counts["dead" if message.status == OutboxMessage.Status.DEAD else "retry"] += 1
        else:
            _record_sent(message, ref)
            counts["sent"] += 1
    return counts


def _record_sent(message: OutboxMessage, ref: str) -> None:
    sent = {
        "status": OutboxMessage.Status.SENT,
        "sent_at": timezone.now(),
        "provider_ref": ref[:200],
        "lease_until": None,
        "last_error": "",
    }
    if message.carries_secret:
        # The token has done its job once delivered; a copy in the database (and in every
        # backup of it) would only let someone else use it. Recipient, kind, message id,
        # sent time and the body's hash remain as proof of what was sent.
        sent.update(body="", body_sha256=body_hash(message.body))
    OutboxMessage.objects.filter(pk=message.pk).update(**sent)


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    message.lease_until = None
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.DEAD
        log.error("outbox message %s dead after %s attempts", message.message_id, message.attempts)
    else:
        message.next_attempt_at = timezone.now() + backoff(message.attempts)
    message.save(update_fields=["last_error", "lease_until", "status", "next_attempt_at"])


def cancel_message(message: OutboxMessage) -> bool:
    """Withdraw a message nobody is sending right now; True if it will never be sent.

    A message under a live lease is being handed to the sender at this moment and cannot be
    recalled; it keeps its true outcome (sent or failed) rather than a false "withdrawn". A
    dead-lettered one is withdrawn too, so nobody sends it again by hand after its reason
    is gone.
    """
    now = timezone.now()
    withdrawn = (
        OutboxMessage.objects.filter(
            pk=message.pk,
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.DEAD],
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(status=OutboxMessage.Status.CANCELLED, lease_until=None)
    )
    return withdrawn == 1


def next_due_time():
    return (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


@transaction.atomic
def retry_message(message: OutboxMessage, *, actor) -> OutboxMessage:
    """Put a dead-lettered message back in the queue (an administrator's decision)."""
    # Lock order: docs/architecture.md, "Locks and their order".
    message = OutboxMessage.objects.select_for_update(of=("self",), no_key=True).get(pk=message.pk)
    if message.status != OutboxMessage.Status.DEAD:
        return message
    message.status = OutboxMessage.Status.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit(actor, "outbox.retried", obj=message)
    transaction.on_commit(schedule_delivery)
    return message
