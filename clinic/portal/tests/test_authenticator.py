"""The patient's optional authenticator app (TOTP, the staff's helpers): added with a first
code, asked for after the sign-in code, each code counted once, removed with a current code."""

import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal import auth as totp
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently
from clinic.core.models import AuditEvent
from clinic.portal.models import PortalAccount, PortalSession
from clinic.portal.tests.conftest import last_code
from clinic.portal.views import TOTP_SETUP_KEY

PHONE = "+380501112233"


def app_code(secret: str, steps_later: int = 0) -> str:
    step = int(time.time()) // 30 + steps_later
    return totp.format_hotp_value(totp.hotp_value(secret, step))


def add_app(portal_client) -> str:
    portal_client.get(reverse("portal:authenticator"))
    secret = portal_client.session[TOTP_SETUP_KEY]
    response = portal_client.post(reverse("portal:authenticator"), {"code": app_code(secret)})
    assert response.status_code == 302
    return secret


def sign_in_with_code(client):
    client.post(reverse("portal:sign_in"), {"identifier": PHONE}, REMOTE_ADDR="10.0.0.1")
    return client.post(
        reverse("portal:sign_in_code"), {"code": last_code(PHONE)}, REMOTE_ADDR="10.0.0.1"
    )


@pytest.mark.django_db
def test_the_patient_adds_an_app_with_its_first_code(portal_client, account):
    page = portal_client.get(reverse("portal:authenticator"))
    assert page.status_code == 200 and b"<svg" in page.content
    secret = portal_client.session[TOTP_SETUP_KEY]
    wrong = portal_client.post(reverse("portal:authenticator"), {"code": "000000"})
    assert wrong.status_code == 200
    account.refresh_from_db()
    assert not account.has_authenticator
    add_app(portal_client)
    account.refresh_from_db()
    assert account.has_authenticator
    # Sealed at rest, like the staff's secrets.
    assert secret not in account.totp_secret
    assert AuditEvent.objects.filter(action="portal.totp.added", patient=account.patient).exists()


@pytest.mark.django_db
def test_sign_in_asks_for_the_app_code_after_the_code(frozen, portal_client, account):
    secret = add_app(portal_client)
    frozen.shift(timedelta(seconds=60))
    client = Client()
    response = sign_in_with_code(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign_in_totp")
    # The right sign-in code alone opens nothing.
    assert PortalSession.objects.filter(account=account).count() == 1  # portal_client's own
    assert client.get(reverse("portal:home")).status_code == 302
    wrong = client.post(reverse("portal:sign_in_totp"), {"code": "000000"}, REMOTE_ADDR="10.0.0.1")
    assert wrong.status_code == 200
    assert PortalSession.objects.filter(account=account).count() == 1
    right = client.post(
        reverse("portal:sign_in_totp"), {"code": app_code(secret)}, REMOTE_ADDR="10.0.0.1"
    )
    assert right.status_code == 302 and right["Location"].endswith("/portal/")
    assert client.get(right["Location"]).status_code == 200
    event = AuditEvent.objects.filter(action="portal.signed_in").latest("pk")
    assert "authenticator app" in event.reason


@pytest.mark.django_db
def test_an_app_code_counts_only_once(frozen, portal_client, account):
    secret = add_app(portal_client)
    frozen.shift(timedelta(seconds=60))
    first, second = Client(), Client()
    sign_in_with_code(first)
    code = app_code(secret)
    first.post(reverse("portal:sign_in_totp"), {"code": code}, REMOTE_ADDR="10.0.0.1")
    sign_in_with_code(second)
    replay = second.post(reverse("portal:sign_in_totp"), {"code": code}, REMOTE_ADDR="10.0.0.1")
    assert replay.status_code == 200
    assert PortalSession.objects.filter(account=account).count() == 2  # portal_client, first


@pytest.mark.django_db
def test_wrong_app_codes_are_limited_like_sign_in_codes(frozen, portal_client, account, settings):
    secret = add_app(portal_client)
    frozen.shift(timedelta(seconds=60))
    client = Client()
    sign_in_with_code(client)
    statuses = [
        client.post(
            reverse("portal:sign_in_totp"), {"code": "000000"}, REMOTE_ADDR="10.0.0.1"
        ).status_code
        for _ in range(settings.PORTAL_FAILED_CODES_PER_IDENTIFIER + 1)
    ]
    assert statuses[-1] == 429
    locked = client.post(
        reverse("portal:sign_in_totp"), {"code": app_code(secret)}, REMOTE_ADDR="10.0.0.2"
    )
    assert locked.status_code == 429
    assert PortalSession.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_the_second_step_expires_with_the_code(frozen, portal_client, account, settings):
    secret = add_app(portal_client)
    frozen.shift(timedelta(seconds=60))
    client = Client()
    sign_in_with_code(client)
    frozen.shift(timedelta(minutes=settings.PORTAL_CODE_MINUTES, seconds=1))
    response = client.post(
        reverse("portal:sign_in_totp"), {"code": app_code(secret)}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:sign_in")
    assert PortalSession.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_removing_the_app_needs_a_current_code(frozen, portal_client, account):
    secret = add_app(portal_client)
    frozen.shift(timedelta(seconds=60))
    portal_client.post(reverse("portal:authenticator"), {"code": "000000"})
    assert PortalAccount.objects.get(pk=account.pk).has_authenticator
    portal_client.post(reverse("portal:authenticator"), {"code": app_code(secret)})
    assert not PortalAccount.objects.get(pk=account.pk).has_authenticator
    assert AuditEvent.objects.filter(action="portal.totp.removed").exists()


@pytest.mark.django_db
def test_without_an_app_the_code_alone_signs_in(client, account):
    assert not account.has_authenticator
    response = sign_in_with_code(client)
    assert response["Location"].endswith("/portal/")
    assert PortalSession.objects.filter(account=account).count() == 1
    assert client.get(response["Location"]).status_code == 200


def staff_client(user, seconds_ago: float = 0) -> Client:
    client = Client()
    client.force_login(user)
    authenticate_recently(client, user, seconds_ago=seconds_ago)
    return client


@pytest.fixture
def desk(account, reception):
    """Reception's browser, signed in a moment ago (removing a second factor asks for that)."""
    return staff_client(reception)


@pytest.mark.django_db
def test_reception_removes_a_lost_app_and_the_patients_sessions_end(
    frozen, portal_client, account, desk, reception
):
    add_app(portal_client)
    url = reverse("portal_staff:reset_authenticator", args=[account.patient.public_id])
    chart = reverse("patients:chart", args=[account.patient.public_id])
    assert f'action="{url}"' in desk.get(chart).content.decode()  # the button on the chart
    response = desk.post(url)
    assert response.status_code == 302 and response["Location"] == chart
    account.refresh_from_db()
    assert not account.has_authenticator and account.totp_last_step is None
    # Whoever holds the lost phone is signed out; the patient signs in with a sent code alone.
    assert not PortalSession.objects.filter(account=account, ended_at__isnull=True).exists()
    assert portal_client.get(reverse("portal:home")).status_code == 302
    assert sign_in_with_code(Client())["Location"].endswith("/portal/")
    event = AuditEvent.objects.get(action="portal.totp.reset")
    assert (event.actor, event.patient) == (reception, account.patient)


@pytest.mark.django_db
def test_removing_an_app_that_is_not_there_is_refused_and_changes_nothing(account, desk):
    url = reverse("portal_staff:reset_authenticator", args=[account.patient.public_id])
    response = desk.post(url, follow=True)
    with translation.override("uk"):  # staff pages speak Ukrainian first
        message = gettext("The patient has no authenticator app to remove.")
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="portal.totp.reset").exists()
    assert AuditEvent.objects.filter(outcome="denied", patient=account.patient).exists()


@pytest.mark.django_db
def test_reset_asks_staff_to_sign_in_again_and_is_closed_to_other_roles(
    frozen, portal_client, account, users, reception
):
    add_app(portal_client)
    url = reverse("portal_staff:reset_authenticator", args=[account.patient.public_id])
    stale = staff_client(reception, seconds_ago=3600)
    assert "reauthenticate" in stale.post(url)["Location"]
    assert staff_client(users[(Role.NURSE, "kyiv")]).post(url).status_code == 403
    assert staff_client(users[(Role.RECEPTIONIST, "lviv")]).post(url).status_code == 404
    assert PortalAccount.objects.get(pk=account.pk).has_authenticator
    assert not AuditEvent.objects.filter(action="portal.totp.reset").exists()
