from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic.conftest import make_user
from clinic.core import outbox
from clinic.core.models import AuditEvent, OutboxMessage

pytestmark = pytest.mark.django_db


def enqueue(**overrides):
    fields = {
        "channel": "email",
        "recipient": "patient@example.org",
        "subject": "Нагадування",
        "body": "Ваш візит завтра о 10:00.",
    }
    fields.update(overrides)
    return outbox.enqueue_message(**fields)


def failing_sender(message):
    raise outbox.DeliveryError("connection refused")


def test_a_message_from_a_rolled_back_change_is_never_sent():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the booking failed")
    assert OutboxMessage.objects.count() == 0


def test_it_sends_with_a_stable_message_id_and_marks_sent():
    message = enqueue()
    assert outbox.deliver_due() == {"sent": 1, "retry": 0, "dead": 0}
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<outbox-{message.message_id}@clinic>"
    assert mail.outbox[0].subject == "Нагадування"


def test_a_sent_message_is_not_sent_again():
    enqueue()
    outbox.deliver_due()
    assert outbox.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}
    assert len(mail.outbox) == 1


def test_a_failed_send_stays_pending_and_retries_with_backoff(monkeypatch, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, failing_sender)
    with time_machine.travel("2026-11-22 10:00 +02:00", tick=False):
        message = enqueue()
        assert outbox.deliver_due()["retry"] == 1
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING
        assert message.sent_at is None
        assert message.attempts == 1
        assert "connection refused" in message.last_error
        assert message.next_attempt_at == timezone.now() + timedelta(seconds=60)
        # Not due yet: nothing is tried.
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}
    with time_machine.travel("2026-11-22 10:01:01 +02:00", tick=False):
        assert outbox.deliver_due()["retry"] == 1
        message.refresh_from_db()
        assert message.attempts == 2
        assert message.next_attempt_at == timezone.now() + timedelta(seconds=120)


def test_it_dead_letters_after_the_last_attempt(monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, failing_sender)
    message = enqueue()
    outbox.deliver_due()
    assert outbox.deliver_due()["dead"] == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DEAD
    assert message.sent_at is None
    assert outbox.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}


def test_a_claimed_message_is_not_sent_by_a_second_worker():
    message = enqueue()
    assert outbox._claim(message.pk, timezone.now())
    assert outbox.deliver_due() == {"sent": 0, "retry": 0, "dead": 0}
    assert mail.outbox == []


def test_a_lease_that_ran_out_is_taken_over():
    # A worker that died mid-send leaves a lease behind; after it expires, the message is sent.
    message = enqueue()
    outbox._claim(message.pk, timezone.now() - outbox.LEASE - timedelta(seconds=1))
    assert outbox.deliver_due()["sent"] == 1


def test_the_same_dedupe_key_enqueues_once():
    first = enqueue(dedupe_key="reminder:42")
    second = enqueue(dedupe_key="reminder:42")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


def test_sms_without_a_gateway_is_not_marked_sent_in_production(settings):
    settings.DEBUG = False
    settings.SMS_GATEWAY_URL = ""
    message = enqueue(channel="sms", recipient="+380501234567", subject="")
    assert outbox.deliver_due()["retry"] == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert "no SMS gateway" in message.last_error


def test_administrator_retries_a_dead_message(kyiv, client):
    admin = make_user("admin@test.clinic", roles=["administrator"], sites=[kyiv])
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(status="dead", attempts=8)
    client.force_login(admin)
    response = client.get("/staff/outbox/?status=dead")
    assert response.status_code == 200
    assert "pa***@example.org" in response.content.decode()
    client.post(f"/staff/outbox/{message.message_id}/retry/")
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 0
    assert AuditEvent.objects.filter(action="outbox.retried", actor=admin).count() == 1


def test_the_delivery_task_sends_and_reports(django_capture_on_commit_callbacks):
    from clinic.core.tasks import deliver_outbox

    enqueue()
    assert deliver_outbox.call() == {"sent": 1, "retry": 0, "dead": 0}


def test_administrators_see_and_retry_only_their_sites_messages(kyiv, lviv, client):
    admin = make_user("admin@test.clinic", roles=["administrator"], sites=[kyiv])
    ours = enqueue(recipient="ours@example.org", site=kyiv)
    theirs = enqueue(recipient="theirs@example.org", site=lviv)
    account = enqueue(recipient="staff@example.org")  # an e-mail about a staff account
    OutboxMessage.objects.update(status="dead", attempts=8)
    client.force_login(admin)

    page = client.get("/staff/outbox/?status=dead").content.decode()
    assert "ou***@example.org" in page and "st***@example.org" in page
    assert "th***@example.org" not in page
    assert "(2)" in page  # the counts are of the visible messages too

    response = client.post(f"/staff/outbox/{theirs.message_id}/retry/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.attempts) == ("dead", 8)
    assert not AuditEvent.objects.filter(action="outbox.retried").exists()
    assert AuditEvent.objects.filter(
        action="outbox.message.denied", actor=admin, outcome="denied", site=lviv
    ).exists()

    for message in (ours, account):
        client.post(f"/staff/outbox/{message.message_id}/retry/")
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING


TOKEN = "tok-Zq8v3KfLw2mN9xR4"


def row_text(message) -> str:
    """Every stored value of the message's row, as one string."""
    return " ".join(
        str(v) for v in OutboxMessage.objects.filter(pk=message.pk).values().get().values()
    )


def test_a_secret_body_is_blanked_after_delivery_and_its_proof_remains():
    body = f"Оберіть пароль: https://clinic.example/reset/{TOKEN}/"
    message = enqueue(body=body, carries_secret=True)
    assert TOKEN in row_text(message)  # still there to be sent
    assert outbox.deliver_due()["sent"] == 1
    assert TOKEN in mail.outbox[0].body
    message.refresh_from_db()
    assert TOKEN not in row_text(message)
    assert message.body == ""
    assert message.status == OutboxMessage.Status.SENT and message.sent_at is not None
    assert message.recipient == "patient@example.org"
    assert message.body_sha256 == outbox.body_hash(body)
    assert message.provider_ref == f"<outbox-{message.message_id}@clinic>"


def test_an_ordinary_body_is_kept_after_delivery():
    message = enqueue()
    outbox.deliver_due()
    message.refresh_from_db()
    assert message.body == "Ваш візит завтра о 10:00."


def test_a_secret_body_survives_a_failed_attempt_and_the_retry_sends_it(monkeypatch, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    body = f"Анкета: https://clinic.example/q/{TOKEN}/"
    message = enqueue(body=body, carries_secret=True)
    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, failing_sender)
    assert outbox.deliver_due()["retry"] == 1
    message.refresh_from_db()
    assert message.body == body
    monkeypatch.undo()
    assert outbox.deliver_due()["sent"] == 1
    assert TOKEN in mail.outbox[0].body
    message.refresh_from_db()
    assert TOKEN not in row_text(message)
