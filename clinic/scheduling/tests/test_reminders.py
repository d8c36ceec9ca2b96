"""Reminders and notifications: nothing lost, nothing sent for a cancelled or moved visit, and a
failed send never shown as sent (OpenEMR #9064)."""

import re
import time as wall_time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core import outbox
from clinic.core.models import OutboxMessage
from clinic.core.tests.gateway_stub import GatewayStub
from clinic.scheduling import services
from clinic.scheduling.models import Notification
from clinic.scheduling.notifications import send_due_reminders
from clinic.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def emailed(kyiv):
    return make_patient(kyiv, "K-0100", email="olena@example.org", preferred_channel="email")


def book(patient, visit, clinic, users, starts_at, actor):
    return services.book_appointment(
        patient,
        visit_type=visit["follow_up"],
        site=patient.home_site,
        starts_at=starts_at,
        practitioner=users[(Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=actor,
    )


def bodies():
    return [m.body for m in mail.outbox]


def test_a_due_reminder_is_sent_once(visit, clinic, users, emailed, reception, frozen):
    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    outbox.deliver_due()
    assert send_due_reminders() == {"queued": 0, "dropped": 0}  # not due yet
    frozen.move_to(at(3, 10))
    assert send_due_reminders() == {"queued": 1, "dropped": 0}
    assert send_due_reminders() == {"queued": 0, "dropped": 0}
    outbox.deliver_due()
    assert len(mail.outbox) == 2
    assert "Нагадування" in mail.outbox[1].body and "10:00" in mail.outbox[1].body
    reminder = appointment.notifications.get(kind="reminder")
    assert reminder.delivery_state == "sent"


def test_a_cancelled_visit_never_gets_its_reminder(
    visit, clinic, users, emailed, reception, frozen
):
    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    frozen.move_to(at(3, 10))
    assert send_due_reminders()["queued"] == 0
    outbox.deliver_due()
    assert len(mail.outbox) == 2  # the confirmation and the cancellation, no reminder
    assert not [b for b in bodies() if "Нагадування" in b]
    assert appointment.notifications.get(kind="reminder").delivery_state == "cancelled"


def test_a_reminder_already_queued_is_withdrawn_when_the_visit_is_cancelled(
    visit, clinic, users, emailed, reception, frozen
):
    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    frozen.move_to(at(3, 10))
    send_due_reminders()  # queued in the outbox, not yet delivered
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    outbox.deliver_due()
    assert not [b for b in bodies() if "Нагадування" in b]
    reminder = appointment.notifications.get(kind="reminder")
    assert reminder.message.status == OutboxMessage.Status.CANCELLED
    assert reminder.delivery_state == "cancelled"


def test_a_moved_visit_gets_only_the_reminder_for_its_new_time(
    visit, clinic, users, emailed, reception, frozen
):
    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    services.reschedule_appointment(appointment, starts_at=at(6, 14), actor=reception)
    frozen.move_to(at(3, 10))
    assert send_due_reminders()["queued"] == 0
    frozen.move_to(at(5, 14))
    assert send_due_reminders()["queued"] == 1
    outbox.deliver_due()
    reminders = [b for b in bodies() if "Нагадування" in b]
    assert len(reminders) == 1 and "14:00" in reminders[0] and "10:00" not in reminders[0]


def test_a_reminder_being_sent_while_the_visit_is_cancelled_keeps_its_true_state(
    visit, clinic, users, emailed, reception, frozen
):
    from django.utils import timezone

    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    frozen.move_to(at(3, 10))
    send_due_reminders()
    reminder = appointment.notifications.get(kind="reminder")
    # A worker holds the lease: the message is in the sender's hands right now.
    OutboxMessage.objects.filter(pk=reminder.message_id).update(
        lease_until=timezone.now() + timedelta(minutes=5)
    )
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    reminder.refresh_from_db()
    assert reminder.message.status == OutboxMessage.Status.PENDING
    assert reminder.delivery_state == "queued"  # not a false "cancelled", not "sent"


def test_a_failed_send_is_never_shown_as_sent(
    visit, clinic, users, emailed, reception, monkeypatch, settings, frozen
):
    settings.OUTBOX_MAX_ATTEMPTS = 2

    def mail_server_down(message):
        raise outbox.DeliveryError("connection refused")

    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, mail_server_down)
    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    confirmation = appointment.notifications.get(kind="confirmation")
    assert confirmation.delivery_state == "queued"
    outbox.deliver_due()
    confirmation.refresh_from_db()
    confirmation.message.refresh_from_db()
    assert confirmation.delivery_state == "retrying"
    frozen.shift(timedelta(hours=1))
    outbox.deliver_due()
    confirmation.message.refresh_from_db()
    assert confirmation.delivery_state == "failed"
    assert confirmation.message.sent_at is None


def test_nothing_is_lost_when_the_mail_server_is_down_for_a_while(
    visit, clinic, kyiv, users, reception, monkeypatch, frozen
):
    from clinic.conftest import make_user
    from clinic.locations.models import Room
    from clinic.scheduling.tests.conftest import give_hours

    second_doctor = make_user("doc2@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    give_hours(second_doctor, kyiv)
    desks = [
        (users[(Role.PHYSICIAN, "kyiv")], clinic["kyiv"]["consulting"]),
        (second_doctor, Room.objects.create(site=kyiv, name="Кабінет 2", kind="consulting")),
    ]
    for i in range(20):
        doctor, room = desks[i % 2]
        services.book_appointment(
            make_patient(kyiv, f"M-{i:03d}", email=f"p{i}@example.org", preferred_channel="email"),
            visit_type=visit["follow_up"],
            site=kyiv,
            starts_at=at(4, 9) + timedelta(minutes=40 * (i // 2)),
            practitioner=doctor,
            room=room,
            actor=reception,
        )
    outbox.deliver_due()  # the confirmations
    frozen.move_to(at(3, 18))
    assert send_due_reminders()["queued"] == 20
    real_send = outbox.SENDERS[OutboxMessage.Channel.EMAIL]
    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, _failing_then(real_send, 7))
    for _ in range(6):
        outbox.deliver_due()
        frozen.shift(timedelta(hours=1))
    reminder_mails = [m for m in mail.outbox if "Нагадування" in m.body]
    ids = [m.extra_headers["Message-ID"] for m in reminder_mails]
    assert len(ids) == 20 and len(set(ids)) == 20
    reminders = Notification.objects.filter(kind="reminder").select_related("message")
    assert {n.delivery_state for n in reminders} == {"sent"}


def _failing_then(real_send, failures):
    left = {"n": failures}

    def send(message):
        if left["n"] > 0:
            left["n"] -= 1
            raise outbox.DeliveryError("mail server down")
        return real_send(message)

    return send


def test_message_bodies_carry_no_clinical_details(
    visit, clinic, kyiv, users, reception, emailed, frozen
):
    nurse = users[(Role.NURSE, "kyiv")]
    appointment = services.book_appointment(
        emailed,
        visit_type=visit["ketamine_infusion"],
        site=kyiv,
        starts_at=at(4, 10),
        practitioner=nurse,
        room=clinic["kyiv"]["chair1"],
        actor=reception,
    )
    services.reschedule_appointment(appointment, starts_at=at(5, 10), actor=reception)
    frozen.move_to(at(4, 10, 30))
    send_due_reminders()
    services.cancel_appointment(appointment, reason="Протипоказання", actor=reception)
    texts = " ".join(OutboxMessage.objects.values_list("body", flat=True)).lower()
    for secret in ("кетамін", "ketamine", "інфузі", "infusion", "протипоказ", nurse.full_name):
        assert secret.lower() not in texts
    assert "10:00" in texts and "+380737308088" in texts


def test_the_reminder_command_reports_what_it_did(
    visit, clinic, users, emailed, reception, frozen, capsys
):
    book(emailed, visit, clinic, users, at(4, 10), reception)
    frozen.move_to(at(3, 10))
    call_command("send_reminders")
    out = capsys.readouterr().out
    assert "reminders queued 1" in out and "sent 2" in out


# --- The HTTP gateway against a local stub that fails, times out, then accepts ----------------


class Stub(GatewayStub):
    """An SMS gateway following `script`: "fail" answers 500, "timeout" answers 500 too late,
    "accept" (and every request past the script) accepts."""

    path = "/send"

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        super().__init__()

    def answer(self, headers, body):
        step = self.script.pop(0) if self.script else "accept"
        self.requests.append((step, headers["Idempotency-Key"], body))
        if step == "timeout":
            wall_time.sleep(1.5)
        if step in ("fail", "timeout"):
            return 500, None
        return 200, {"accepted": True, "ref": "gw-1"}


@pytest.fixture
def stub(settings):
    gateway = Stub(["fail", "timeout", "accept"])
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "test-token"
    settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = True
    settings.MESSAGE_GATEWAY_TIMEOUT_SECONDS = 0.5
    yield gateway
    gateway.stop()


def test_the_sms_gateway_fails_times_out_recovers_and_the_message_is_sent_once(
    visit, clinic, users, patient, reception, stub, frozen
):
    appointment = book(patient, visit, clinic, users, at(4, 10), reception)
    confirmation = appointment.notifications.get(kind="confirmation")
    message = confirmation.message
    for expected in ("retrying", "retrying", "sent", "sent"):
        outbox.deliver_due()
        message.refresh_from_db()
        confirmation.message = message
        if expected != "sent":
            assert message.status == OutboxMessage.Status.PENDING
            assert message.sent_at is None
        assert confirmation.delivery_state == expected, [s for s, *_ in stub.requests]
        frozen.shift(timedelta(hours=1))
    assert [step for step, *_ in stub.requests] == ["fail", "timeout", "accept"]
    assert {key for _, key, _ in stub.requests} == {str(message.message_id)}
    assert stub.requests[-1][2]["to"] == "+380501112233"
    assert message.provider_ref == "gw-1" and message.attempts == 3


def test_a_plain_http_gateway_is_refused_outside_tests(
    visit, clinic, users, patient, reception, stub, settings
):
    settings.MESSAGE_GATEWAY_ALLOW_LOOPBACK_HTTP = False
    appointment = book(patient, visit, clinic, users, at(4, 10), reception)
    outbox.deliver_due()
    message = appointment.notifications.get(kind="confirmation").message
    assert message.status == OutboxMessage.Status.PENDING
    assert "https" in message.last_error
    assert stub.requests == []


def test_without_a_gateway_a_text_is_not_marked_sent(
    visit, clinic, users, patient, reception, settings
):
    settings.SMS_GATEWAY_URL = ""
    settings.DEBUG = False
    appointment = book(patient, visit, clinic, users, at(4, 10), reception)
    outbox.deliver_due()
    notification = appointment.notifications.get(kind="confirmation")
    assert notification.delivery_state == "retrying"
    assert "no SMS gateway" in notification.message.last_error


def test_a_failed_reminder_of_a_cancelled_visit_cannot_be_sent_again_by_hand(
    visit, clinic, users, emailed, reception, monkeypatch, settings, frozen
):
    settings.OUTBOX_MAX_ATTEMPTS = 1

    def mail_server_down(message):
        raise outbox.DeliveryError("connection refused")

    appointment = book(emailed, visit, clinic, users, at(4, 10), reception)
    frozen.move_to(at(3, 10))
    send_due_reminders()
    monkeypatch.setitem(outbox.SENDERS, OutboxMessage.Channel.EMAIL, mail_server_down)
    outbox.deliver_due()
    reminder = appointment.notifications.get(kind="reminder")
    assert reminder.delivery_state == "failed"
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    reminder.refresh_from_db()
    assert reminder.message.status == OutboxMessage.Status.CANCELLED
    outbox.retry_message(reminder.message, actor=users[(Role.ADMINISTRATOR, "kyiv")])
    reminder.message.refresh_from_db()
    assert reminder.message.status == OutboxMessage.Status.CANCELLED


def test_the_confirmation_and_the_reminder_give_the_sites_street_address(
    visit, clinic, kyiv, users, reception, emailed, frozen
):
    kyiv.address_uk, kyiv.locality_uk, kyiv.postal_code = "вул. Тестова, 5", "Київ", "01001"
    kyiv.save()
    book(emailed, visit, clinic, users, at(5, 10), reception)
    frozen.move_to(at(4, 10, 30))
    send_due_reminders()
    bodies = list(OutboxMessage.objects.values_list("body", flat=True))
    assert len(bodies) == 2
    for body in bodies:
        assert "вул. Тестова, 5, Київ, 01001" in body


# --- Links in the messages --------------------------------------------------------------------

LINK = re.compile(r"https?://\S+")


def test_every_visit_message_links_absolutely_from_the_public_base_url(
    visit, clinic, users, reception, emailed, frozen, settings
):
    settings.PUBLIC_BASE_URL = "https://clinic.example.org:8443"
    appointment = book(emailed, visit, clinic, users, at(5, 10), reception)
    services.reschedule_appointment(appointment, starts_at=at(5, 12), actor=reception)
    frozen.move_to(at(4, 12, 30))
    assert send_due_reminders() == {"queued": 1, "dropped": 0}
    messages = {
        n.kind: n.message.body
        for n in appointment.notifications.select_related("message").exclude(message=None)
    }
    assert set(messages) == {"confirmation", "change", "reminder"}
    for kind, body in messages.items():
        links = LINK.findall(body)
        assert len(links) == 1, kind
        # No portal account: the portal's sign-in page, in the patient's language.
        assert links[0] == "https://clinic.example.org:8443/uk/portal/sign-in/", kind


def test_a_patient_with_a_portal_account_is_sent_to_the_visits_own_page(
    visit, clinic, users, reception, emailed, frozen, settings
):
    from clinic.portal.services import invite_patient

    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8765/"
    emailed.preferred_language = "en"
    emailed.save()
    invite_patient(emailed, actor=reception)
    appointment = book(emailed, visit, clinic, users, at(5, 10), reception)
    frozen.move_to(at(4, 10, 30))
    send_due_reminders()
    reminder = appointment.notifications.select_related("message").get(kind="reminder")
    page = f"http://127.0.0.1:8765/en/portal/visits/{appointment.public_id}/"
    assert LINK.findall(reminder.message.body) == [page]
    assert f"Your visit: {page}" in reminder.message.body


def test_a_course_confirmation_links_to_its_first_visit(
    visit, clinic, kyiv, users, reception, emailed, frozen, settings
):
    settings.PUBLIC_BASE_URL = "https://clinic.example.org"
    physician = users[(Role.PHYSICIAN, "kyiv")]
    services.book_series(
        emailed,
        visit_type=visit["follow_up"],
        site=kyiv,
        occurrences=[(at(day, 10), physician, clinic["kyiv"]["consulting"]) for day in (5, 6)],
        actor=reception,
    )
    body = OutboxMessage.objects.get().body
    assert LINK.findall(body) == ["https://clinic.example.org/uk/portal/sign-in/"]


def test_cancellations_and_offers_carry_no_link(
    visit, clinic, users, reception, emailed, frozen, settings
):
    appointment = book(emailed, visit, clinic, users, at(5, 10), reception)
    services.cancel_appointment(appointment, reason="—", actor=reception)
    cancellation = appointment.notifications.select_related("message").get(kind="cancellation")
    assert LINK.findall(cancellation.message.body) == []
