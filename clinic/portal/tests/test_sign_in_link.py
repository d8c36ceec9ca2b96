"""The e-mailed sign-in link: the code in another form. Opening it signs nobody in (mail
scanners fetch links); the button's POST does, once, within the code's lifetime, under the
code's limits; a wrong or spent link gets the same answer as a wrong code."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.portal import services
from clinic.portal.models import PortalSession, SignInAttempt
from clinic.portal.tests.conftest import last_code

EMAIL = "olena@example.com"


@pytest.fixture
def email_account(frozen, kyiv, reception):
    patient = make_patient(
        kyiv, "K-0003", email=EMAIL, preferred_channel="email", preferred_language="en"
    )
    return services.invite_patient(patient, actor=reception)


def request_code(client, identifier=EMAIL):
    return client.post(
        reverse("portal:sign_in"), {"identifier": identifier}, REMOTE_ADDR="10.0.0.1"
    )


def last_link() -> str:
    message = OutboxMessage.objects.filter(recipient=EMAIL).order_by("-pk").first()
    return re.search(r"https?://\S+/portal/sign-in/link/[^/\s]+/", message.body).group(0)


def path_of(link: str) -> str:
    return link[link.index("/", len("https://")) :]


def press(client, path, ip="10.0.0.1", **data):
    return client.post(path, data, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_the_e_mail_carries_the_code_and_a_link(client, email_account):
    request_code(client)
    message = OutboxMessage.objects.filter(recipient=EMAIL).latest("pk")
    assert message.carries_secret
    assert re.search(r"\b\d{6}\b", message.body)
    assert "/en/portal/sign-in/link/" in last_link()


@pytest.mark.django_db
def test_opening_the_link_signs_nobody_in(client, email_account):
    request_code(client)
    path = path_of(last_link())
    page = Client().get(path)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "no-referrer"
    assert 'method="post"' in page.content.decode()
    assert PortalSession.objects.count() == 0
    assert not SignInAttempt.objects.filter(kind=SignInAttempt.Kind.VERIFY).exists()


@pytest.mark.django_db
def test_the_button_signs_in_once_and_only_once(client, email_account):
    request_code(client)
    path = path_of(last_link())
    other_browser = Client()
    response = press(other_browser, path)
    assert response.status_code == 302 and response["Location"].endswith("/portal/")
    assert other_browser.get(response["Location"]).status_code == 200
    event = AuditEvent.objects.get(action="portal.signed_in", patient=email_account.patient)
    assert "e-mail link" in event.reason
    again = press(Client(), path)
    assert again.status_code == 200
    assert b"wrong or has expired" in again.content
    assert PortalSession.objects.count() == 1


@pytest.mark.django_db
def test_the_link_and_the_code_are_one_secret(client, email_account):
    request_code(client)
    path = path_of(last_link())
    code = last_code(EMAIL)
    client.post(reverse("portal:sign_in_code"), {"code": code}, REMOTE_ADDR="10.0.0.1")
    assert PortalSession.objects.count() == 1
    assert press(Client(), path).status_code == 200
    assert PortalSession.objects.count() == 1


@pytest.mark.django_db
def test_the_link_expires_with_the_code(client, email_account, frozen):
    request_code(client)
    path = path_of(last_link())
    frozen.shift(timedelta(minutes=settings.PORTAL_CODE_MINUTES, seconds=1))
    response = press(Client(), path)
    assert response.status_code == 200
    assert b"wrong or has expired" in response.content
    assert PortalSession.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_link_gets_the_answer_of_a_wrong_code(client, email_account):
    request_code(client)
    code = last_code(EMAIL)
    wrong_code = client.post(
        reverse("portal:sign_in_code"),
        {"code": "000000" if code != "000000" else "111111"},
        REMOTE_ADDR="10.0.0.1",
    )
    made_up = reverse("portal:sign_in_link", kwargs={"token": "x" * 43})
    wrong_link = press(Client(), made_up)
    assert wrong_code.status_code == wrong_link.status_code == 200
    assert b"The code is wrong or has expired. Ask for a new one." in wrong_link.content
    assert b"The code is wrong or has expired. Ask for a new one." in wrong_code.content
    assert PortalSession.objects.count() == 0


@pytest.mark.django_db
def test_wrong_links_share_the_limits_of_codes(client, email_account):
    # Wrong codes from one address use up the address's attempts ...
    request_code(client)
    path = path_of(last_link())
    failures = settings.PORTAL_ATTEMPTS_PER_IP
    for n in range(failures):
        press(Client(), reverse("portal:sign_in_link", kwargs={"token": f"made-up-{n}"}))
    # ... after which even the real link is locked from that address, and opens nothing.
    assert press(Client(), path).status_code == 429
    assert PortalSession.objects.count() == 0
    # From another address the real link still works: the lock is the address's.
    assert press(Client(), path, ip="10.7.7.7").status_code == 302


@pytest.mark.django_db
def test_wrong_codes_lock_the_link_of_the_same_identifier(client, email_account):
    request_code(client)
    path = path_of(last_link())
    code = last_code(EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.PORTAL_FAILED_CODES_PER_IDENTIFIER):
        client.post(reverse("portal:sign_in_code"), {"code": wrong}, REMOTE_ADDR="10.0.0.2")
    assert press(Client(), path, ip="10.9.9.9").status_code == 429
    assert PortalSession.objects.count() == 0
