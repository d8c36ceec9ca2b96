"""Signing in with a one-time code: no enumeration, single use, expiry, limits, sessions."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from clinic.core.models import AuditEvent, OutboxMessage
from clinic.portal.models import PortalSession, SignInCode
from clinic.portal.tests.conftest import last_code, sign_in

PHONE = "+380501112233"


def request_code(client, identifier, **extra):
    return client.post(
        reverse("portal:sign_in"), {"identifier": identifier, **extra}, REMOTE_ADDR="10.0.0.1"
    )


def enter_code(client, code, ip="10.0.0.1"):
    return client.post(reverse("portal:sign_in_code"), {"code": code}, REMOTE_ADDR=ip)


def _without_csrf(html: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.django_db
def test_known_and_unknown_identifiers_get_the_same_answer(client, django_user_model, account):
    from django.test import Client

    other = Client()
    known = request_code(client, PHONE)
    unknown = request_code(other, "+380509998877")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    known_page = client.get(known["Location"])
    unknown_page = other.get(unknown["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    assert _without_csrf(known_page.content.decode()) == _without_csrf(
        unknown_page.content.decode()
    )
    # The same work in both cases (a code row each), so timing does not tell them apart
    # either; only the holder of a real account gets a message.
    assert SignInCode.objects.count() == 2
    assert OutboxMessage.objects.filter(recipient=PHONE, carries_secret=True).count() == 1
    assert OutboxMessage.objects.filter(recipient="+380509998877").count() == 0


@pytest.mark.django_db
def test_a_code_signs_in_once_and_only_once(client, account):
    request_code(client, PHONE)
    code = last_code(PHONE)
    response = enter_code(client, code)
    assert response.status_code == 302
    assert response["Location"].endswith("/portal/")
    assert client.get(response["Location"]).status_code == 200
    assert AuditEvent.objects.filter(action="portal.signed_in", patient=account.patient).exists()

    from django.test import Client

    thief = Client()
    with translation.override("en"):  # the requests above switched this thread's language
        request_code(thief, PHONE)  # a fresh pending sign-in, then the old code replayed
        replay = enter_code(thief, code)
    assert replay.status_code == 200
    assert b"wrong or has expired" in replay.content
    assert PortalSession.objects.count() == 1


@pytest.mark.django_db
def test_a_code_expires(client, account, frozen):
    request_code(client, PHONE)
    code = last_code(PHONE)
    frozen.shift(timedelta(minutes=settings.PORTAL_CODE_MINUTES, seconds=1))
    response = enter_code(client, code)
    assert response.status_code == 200
    assert b"wrong or has expired" in response.content
    assert PortalSession.objects.count() == 0


@pytest.mark.django_db
def test_brute_force_on_codes_is_stopped(client, account):
    request_code(client, PHONE)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [enter_code(client, wrong).status_code for _ in range(12)]
    assert statuses[: settings.PORTAL_FAILED_CODES_PER_IDENTIFIER] == [200] * (
        settings.PORTAL_FAILED_CODES_PER_IDENTIFIER
    )
    assert statuses[-1] == 429
    # Locked out: even the right code does not open a session now, from any address.
    assert enter_code(client, code, ip="10.9.9.9").status_code == 429
    assert PortalSession.objects.count() == 0


@pytest.mark.django_db
def test_a_code_is_spoilt_after_a_few_wrong_tries(client, account):
    request_code(client, PHONE)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(settings.PORTAL_CODE_MAX_ATTEMPTS):
        enter_code(client, wrong)
    assert enter_code(client, code).status_code == 200  # refused, not locked yet
    assert PortalSession.objects.count() == 0


@pytest.mark.django_db
def test_code_requests_are_limited_per_identifier_and_per_address(client, account):
    for _ in range(settings.PORTAL_CODE_REQUESTS_PER_IDENTIFIER):
        assert request_code(client, PHONE).status_code == 302
    assert request_code(client, PHONE).status_code == 429
    sent = OutboxMessage.objects.filter(recipient=PHONE, carries_secret=True).count()
    assert sent == settings.PORTAL_CODE_REQUESTS_PER_IDENTIFIER
    # One address trying many identifiers is stopped too.
    answers = [
        request_code(client, f"+38050{n:07d}").status_code
        for n in range(settings.PORTAL_ATTEMPTS_PER_IP)
    ]
    assert answers[-1] == 429


@pytest.mark.django_db
def test_portal_session_ends_after_idle_and_absolute_limits(client, account, frozen):
    sign_in(client, account)
    home = reverse("portal:home")
    assert client.get(home).status_code == 200
    frozen.shift(timedelta(seconds=settings.PORTAL_IDLE_SECONDS + 1))
    response = client.get(home)
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]

    # Kept busy (a page every idle-limit minus a minute), it still ends at the absolute limit.
    sign_in(client, account)
    step = settings.PORTAL_IDLE_SECONDS - 60
    answers = []
    for _ in range(settings.PORTAL_ABSOLUTE_SECONDS // step + 1):
        frozen.shift(timedelta(seconds=step))
        answers.append(client.get(home).status_code)
    assert answers[:-1] == [200] * (len(answers) - 1)
    assert answers[-1] == 302


@pytest.mark.django_db
def test_a_shared_device_is_signed_out_sooner(client, account, frozen):
    sign_in(client, account, shared_device=True)
    frozen.shift(timedelta(seconds=settings.PORTAL_SHARED_IDLE_SECONDS + 1))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert settings.PORTAL_SHARED_IDLE_SECONDS < settings.PORTAL_IDLE_SECONDS


@pytest.mark.django_db
def test_staff_and_portal_sessions_do_not_open_each_other(client, account, users, reception):
    sign_in(client, account)
    # A portal session is not a staff sign-in.
    staff_page = client.get(reverse("dashboard:today"))
    assert staff_page.status_code == 302 and reverse("account_login") in staff_page["Location"]
    # A staff sign-in in the same browser does not open the patient's pages.
    client.force_login(reception)
    assert client.get(reverse("portal:home")).status_code == 403


@pytest.mark.django_db
def test_signing_out_ends_the_portal_session(portal_client):
    response = portal_client.post(reverse("portal:sign_out"))
    assert response.status_code == 302
    assert PortalSession.objects.get().ended_at is not None
    assert portal_client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_old_sign_in_rows_are_forgotten_and_recent_ones_kept(client, account, frozen):
    from clinic.core import jobs
    from clinic.portal.models import SignInAttempt

    request_code(client, PHONE)
    sign_in(client, account)
    assert "portal_sign_ins" in jobs.JOBS
    frozen.shift(timedelta(days=3))
    jobs.JOBS["portal_sign_ins"].run()
    assert SignInCode.objects.count() == 1 and PortalSession.objects.count() == 1
    frozen.shift(timedelta(days=5))
    jobs.JOBS["portal_sign_ins"].run()
    assert SignInCode.objects.count() == 0
    assert SignInAttempt.objects.count() == 0
    assert PortalSession.objects.count() == 0
