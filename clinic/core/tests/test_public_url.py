"""Every link in every message starts with the configured public base URL, whatever the host of
the request that caused the message."""

import re

import pytest
from django.urls import reverse

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.accounts.services import create_staff_user
from clinic.assessments import services as assessments
from clinic.assessments.tests.factories import phq9_with_total
from clinic.conftest import make_patient
from clinic.core.models import OutboxMessage
from clinic.core.public_url import public_url
from clinic.inquiries.tests.test_contact_form import contact_url, form_data

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8123"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PUBLIC_BASE_URL = BASE


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def assert_links_on_base(message: OutboxMessage) -> None:
    found = links(message.body)
    assert found, message.body
    assert all(link.startswith(BASE + "/") for link in found), found
    assert "127.0.0.1:8000" not in message.body


def test_public_url_joins_the_base_and_a_path():
    assert public_url("/staff/") == BASE + "/staff/"
    assert public_url("uk/anketa/") == BASE + "/uk/anketa/"


def test_the_invitation_links_to_the_base(users, kyiv):
    create_staff_user(
        email="new@test.clinic",
        full_name="Ганна",
        roles=[Role.NURSE],
        sites=[kyiv],
        actor=users[(Role.ADMINISTRATOR, "kyiv")],
    )
    assert_links_on_base(OutboxMessage.objects.get(recipient="new@test.clinic"))


def test_the_password_reset_e_mail_links_to_the_base_not_the_request_host(client, users):
    client.post(
        reverse("account_reset_password"),
        {"email": users[(Role.NURSE, "kyiv")].email},
        HTTP_HOST="localhost",
    )
    message = OutboxMessage.objects.get(recipient=users[(Role.NURSE, "kyiv")].email)
    assert_links_on_base(message)
    assert "/accounts/password/reset/key/" in message.body


def test_the_self_report_link_starts_with_the_base(kyiv):
    patient = make_patient(kyiv, "K-3", phone="+380671234569")
    assessments.send_self_report_link(patient, "phq9", actor=User.objects.system_actor())
    assert_links_on_base(OutboxMessage.objects.get())


def test_the_safety_alert_links_to_the_base(kyiv, users):
    patient = make_patient(kyiv, "K-1")
    assessments.record_assessment(
        patient,
        "phq9",
        phq9_with_total(10, item9=2),
        actor=users[(Role.NURSE, "kyiv")],
        safety_confirmed=True,
    )
    message = OutboxMessage.objects.get(recipient=users[(Role.PHYSICIAN, "kyiv")].email)
    assert_links_on_base(message)


def test_the_reception_is_told_of_an_inquiry_with_a_link_on_the_base(client, kyiv):
    kyiv.email = "reception.kyiv@example.org"
    kyiv.save()
    client.post(contact_url(), form_data(kyiv))
    assert_links_on_base(OutboxMessage.objects.get(recipient="reception.kyiv@example.org"))
