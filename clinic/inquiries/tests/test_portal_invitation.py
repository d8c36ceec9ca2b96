"""An inquiry that becomes a patient is offered the portal's invitation, sent in the inquiry's
language by the same service reception uses from the chart."""

import uuid

import pytest

from clinic.core.models import AuditEvent, OutboxMessage
from clinic.inquiries.tests.test_inbox import make_inquiry, reception  # noqa: F401
from clinic.patients.models import Patient
from clinic.portal.models import PortalAccount

pytestmark = pytest.mark.django_db

FORM = {"family_name": "Коваль", "given_name": "Олена", "birth_date": "1990-05-01"}


def convert(client, inquiry, **extra):
    return client.post(f"/staff/inquiries/{inquiry.public_id}/convert/", {**FORM, **extra})


def test_the_registration_form_offers_the_invitation_ticked(reception, kyiv):  # noqa: F811
    inquiry = make_inquiry(kyiv, status="contacted")
    page = reception.get(f"/staff/inquiries/{inquiry.public_id}/").content.decode()
    assert 'name="invite_to_portal"' in page
    assert (
        'name="invite_to_portal" checked' in page
        or "checked" in page.split('name="invite_to_portal"')[1].split(">")[0]
    )


def test_an_english_inquiry_gets_the_invitation_in_english(reception, kyiv):  # noqa: F811
    inquiry = make_inquiry(kyiv, status="contacted", language="en", phone="+380671234567")
    convert(reception, inquiry, invite_to_portal="on")
    patient = Patient.objects.get()
    account = PortalAccount.objects.get(patient=patient)
    assert (account.phone, account.language) == ("+380671234567", "en")
    message = OutboxMessage.objects.get(recipient="+380671234567")
    assert "patient portal" in message.body
    assert "/en/portal/sign-in/" in message.body
    assert AuditEvent.objects.filter(action="portal.invited", patient=patient).exists()


def test_a_ukrainian_e_mail_inquiry_gets_the_invitation_by_e_mail_in_ukrainian(
    reception,  # noqa: F811
    kyiv,
):
    inquiry = make_inquiry(
        kyiv,
        status="contacted",
        language="uk",
        phone="",
        email="olena@example.com",
        channel="email",
    )
    convert(reception, inquiry, invite_to_portal="on")
    message = OutboxMessage.objects.get(recipient="olena@example.com")
    assert message.channel == "email"
    assert "/uk/portal/sign-in/" in message.body
    assert "кабінет пацієнта" in message.body


def test_unticked_the_patient_is_registered_without_an_invitation(reception, kyiv):  # noqa: F811
    inquiry = make_inquiry(kyiv, status="contacted")
    convert(reception, inquiry)
    assert Patient.objects.count() == 1
    assert not PortalAccount.objects.exists()
    assert not OutboxMessage.objects.filter(recipient="+380671234567").exists()


def test_a_retried_registration_sends_one_invitation(reception, kyiv):  # noqa: F811
    inquiry = make_inquiry(kyiv, status="contacted")
    key = str(uuid.uuid4())
    convert(reception, inquiry, invite_to_portal="on", idempotency_key=key)
    convert(reception, inquiry, invite_to_portal="on", idempotency_key=key)
    assert OutboxMessage.objects.filter(recipient="+380671234567").count() == 1
