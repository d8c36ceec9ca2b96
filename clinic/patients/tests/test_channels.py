"""Messages reach a patient by SMS, e-mail, Telegram or Viber; the messengers by the phone."""

import pytest

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", ["telegram", "viber", "sms"])
def test_phone_channels_address_the_patients_phone(kyiv, channel):
    patient = make_patient(kyiv, phone="+380671234567", preferred_channel=channel)
    assert patient.message_address() == (channel, "+380671234567")


@pytest.mark.parametrize("channel", ["telegram", "viber"])
def test_a_messenger_without_a_phone_number_has_no_address(kyiv, channel):
    patient = make_patient(kyiv, email="o@example.org", preferred_channel=channel)
    assert patient.message_address() is None


def test_every_patient_channel_but_none_is_one_the_outbox_can_send():
    sendable = set(OutboxMessage.Channel.values)
    assert set(Patient.Channel.values) - {"none"} <= sendable


def test_a_telegram_address_queues_a_telegram_message(kyiv):
    patient = make_patient(kyiv, phone="+380671234567", preferred_channel="telegram")
    channel, recipient = patient.message_address()
    message = enqueue_message(channel=channel, recipient=recipient, subject="", body="Нагадування")
    assert (message.channel, message.recipient) == ("telegram", "+380671234567")


def _details(patient, **changes):
    data = {
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "phone": "067 123 45 67",
        "preferred_language": "uk",
        "preferred_channel": "sms",
        "home_site": patient.home_site_id,
    }
    return {**data, **changes}


def test_the_details_form_offers_and_saves_viber(client, users, kyiv):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    patient = make_patient(kyiv, phone="+380671234567")
    page = client.get(f"/staff/patients/{patient.public_id}/details/").content.decode()
    assert 'value="telegram"' in page and 'value="viber"' in page
    response = client.post(
        f"/staff/patients/{patient.public_id}/details/",
        _details(patient, preferred_channel="viber"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.preferred_channel == "viber"


def test_telegram_without_a_phone_is_refused_and_changes_nothing(client, users, kyiv):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    patient = make_patient(kyiv, phone="+380671234567")
    response = client.post(
        f"/staff/patients/{patient.public_id}/details/",
        _details(patient, preferred_channel="telegram", phone=""),
    )
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.preferred_channel == "sms" and str(patient.phone) == "+380671234567"
    assert not AuditEvent.objects.filter(action="patient.details.changed").exists()
