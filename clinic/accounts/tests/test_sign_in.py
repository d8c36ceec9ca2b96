import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
)
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from clinic.accounts import services
from clinic.accounts.models import User
from clinic.conftest import current_totp_code, make_user
from clinic.core.middleware import SESSION_STARTED_KEY
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def physician(kyiv):
    user = make_user("doc@test.clinic", roles=["physician"], sites=[kyiv], totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    user.totp_secret = secret
    return user


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_staff_signs_in_with_password_then_one_time_code(client, physician):
    response = sign_in(client, physician.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone does not sign in.
    assert client.get(reverse("dashboard:today")).status_code == 302
    response = client.post(
        reverse("mfa_authenticate"), {"code": current_totp_code(physician.totp_secret)}
    )
    assert response.status_code == 302
    assert client.get(reverse("dashboard:today")).status_code == 200


def test_a_wrong_one_time_code_does_not_sign_in(client, physician):
    sign_in(client, physician.email)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_e_mail_is_case_insensitive_at_sign_in(client, physician):
    response = sign_in(client, "DOC@Test.Clinic")
    assert response["Location"] == reverse("mfa_authenticate")


def test_it_locks_sign_in_after_repeated_failures_until_the_cool_off_ends(client, physician):
    with time_machine.travel("2026-11-22 09:00 +02:00", tick=False):
        responses = [sign_in(client, physician.email, "wrong password!") for _ in range(5)]
        assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
        assert AccessAttempt.objects.get(username=physician.email).failures_since_start == 5
        # Even the right password now leads nowhere: no second-factor step starts.
        response = sign_in(client, physician.email)
        assert response.status_code in (200, 429)
        assert response.get("Location") != reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session
    with time_machine.travel("2026-11-22 09:16 +02:00", tick=False):
        assert sign_in(client, physician.email)["Location"] == reverse("mfa_authenticate")


def test_nobody_can_sign_up(client):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.org", "password1": "a long passphrase 1"}
    )
    assert not User.objects.filter(email="new@example.org").exists()
    assert response.status_code in (200, 302)


def test_staff_without_totp_is_sent_to_set_it_up_then_reaches_patients(client, kyiv):
    nurse = make_user("nurse@test.clinic", roles=["nurse"], sites=[kyiv], totp=False)
    sign_in(client, nurse.email)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    page = client.get(response["Location"])
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert Authenticator.objects.filter(user=nurse, type="totp").exists()
    assert client.get(reverse("patients:list")).status_code == 200


def test_staff_cannot_switch_their_second_factor_off(client, physician):
    client.force_login(physician)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=physician, type="totp").exists()


def test_a_session_ends_after_fifteen_idle_minutes(client, physician):
    with time_machine.travel("2026-11-22 09:00 +02:00", tick=False):
        client.force_login(physician)
        assert client.get(reverse("dashboard:today")).status_code == 200
    with time_machine.travel("2026-11-22 09:14 +02:00", tick=False):
        assert client.get(reverse("dashboard:today")).status_code == 200
    with time_machine.travel("2026-11-22 09:29:30 +02:00", tick=False):
        response = client.get(reverse("dashboard:today"))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_an_active_user_stays_signed_in_past_fifteen_minutes(client, physician):
    with time_machine.travel("2026-11-22 09:00 +02:00", tick=False):
        client.force_login(physician)
    # A request every ten minutes for an hour: each renews the idle limit.
    for minute in range(0, 61, 10):
        with time_machine.travel(f"2026-11-22 {9 + minute // 60:02d}:{minute % 60:02d} +02:00"):
            assert client.get(reverse("dashboard:today")).status_code == 200


def test_a_session_ends_after_fifteen_idle_minutes_even_after_requests_within_a_minute(
    client, physician
):
    with time_machine.travel("2026-11-22 09:00 +02:00", tick=False):
        client.force_login(physician)
        assert client.get(reverse("dashboard:today")).status_code == 200
    # Within the renewal minute: answered, but the expiry is not moved.
    with time_machine.travel("2026-11-22 09:00:40 +02:00", tick=False):
        assert client.get(reverse("dashboard:today")).status_code == 200
    with time_machine.travel("2026-11-22 09:15:01 +02:00", tick=False):
        response = client.get(reverse("dashboard:today"))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_the_session_row_is_not_rewritten_on_every_request(client, physician):
    with time_machine.travel("2026-11-22 09:00 +02:00", tick=False):
        client.force_login(physician)
        client.get(reverse("dashboard:today"))
        row = Session.objects.get()
        expires = row.expire_date
    with time_machine.travel("2026-11-22 09:00:30 +02:00", tick=False):
        client.get(reverse("dashboard:today"))
        assert Session.objects.get().expire_date == expires
    with time_machine.travel("2026-11-22 09:01:30 +02:00", tick=False):
        client.get(reverse("dashboard:today"))
        assert Session.objects.get().expire_date > expires


def test_a_session_ends_twelve_hours_after_sign_in_however_active(client, physician):
    client.force_login(physician)
    assert client.get(reverse("dashboard:today")).status_code == 200
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("dashboard:today"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_deactivating_a_user_ends_their_open_sessions(client, physician, kyiv):
    client.force_login(physician)
    assert client.get(reverse("dashboard:today")).status_code == 200
    admin = make_user("admin@test.clinic", roles=["administrator"], sites=[kyiv])
    services.deactivate_user(physician, reason="left the centre", actor=admin)
    assert not any(
        str(s.get_decoded().get("_auth_user_id")) == str(physician.pk)
        for s in Session.objects.all()
    )
    response = client.get(reverse("dashboard:today"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="staff.deactivated", actor=admin).count() == 1


def test_a_deactivated_user_cannot_sign_in(client, physician):
    User.objects.filter(pk=physician.pk).update(is_active=False)
    response = sign_in(client, physician.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    assert response.get("Location", "") != reverse("mfa_authenticate")


def test_totp_secrets_are_encrypted_at_rest(physician):
    stored = Authenticator.objects.get(user=physician, type="totp").data["secret"]
    assert stored.startswith("v1:")
    assert physician.totp_secret not in stored


def test_signing_in_and_out_and_failures_are_audited(client, physician):
    sign_in(client, physician.email, "wrong password!")
    failed = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert (failed.outcome, failed.reason, failed.actor) == ("failed", physician.email, None)
    assert failed.actor_label == "anonymous:sign-in-form"
    sign_in(client, physician.email)
    assert not AuditEvent.objects.filter(action="auth.signed_in").exists()  # code still due
    client.post(reverse("mfa_authenticate"), {"code": current_totp_code(physician.totp_secret)})
    assert AuditEvent.objects.get(action="auth.signed_in").actor == physician
    client.post(reverse("account_logout"))
    assert AuditEvent.objects.get(action="auth.signed_out").actor == physician


def test_password_reset_mail_goes_through_the_outbox(client, physician):
    from clinic.core.models import OutboxMessage

    response = client.post(reverse("account_reset_password"), {"email": physician.email})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(recipient=physician.email)
    assert "/accounts/password/reset/key/" in message.body
    assert message.status == OutboxMessage.Status.PENDING
    assert message.carries_secret


def test_password_reset_for_an_unknown_address_reveals_nothing(client, physician):
    from clinic.core.models import OutboxMessage

    known = client.post(reverse("account_reset_password"), {"email": physician.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert not OutboxMessage.objects.filter(
        recipient="nobody@example.org", body__contains="/key/"
    ).exists()


# Behind the reverse proxy every request reaches the application from 127.0.0.1; the proxy
# names the client in X-Forwarded-For (docs/deploy.md).
def through_proxy(client_address):
    return {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": client_address}


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]


def test_a_failed_sign_in_flood_from_one_address_does_not_lock_the_account_out_elsewhere(
    client, physician, behind_proxy, settings
):
    attacker = through_proxy("203.0.113.66")
    login = reverse("account_login")
    for i in range(30):
        client.post(login, {"login": f"made-up-{i}@test.clinic", "password": "x" * 12}, **attacker)
    tries = [
        client.post(login, {"login": physician.email, "password": "wrong password!"}, **attacker)
        for _ in range(settings.SIGN_IN_FAILURES_PER_ACCOUNT + 5)
    ]
    # The attacker's address is locked out for this account...
    assert tries[-1].status_code == 429
    right = client.post(login, {"login": physician.email, "password": PASSWORD}, **attacker)
    assert right.get("Location") != reverse("mfa_authenticate")
    # ...and the physician, at another address, signs in with the right password.
    response = Client().post(
        login, {"login": physician.email, "password": PASSWORD}, **through_proxy("198.51.100.7")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_an_account_is_locked_after_its_limit_of_failures_from_many_addresses(
    physician, behind_proxy, settings
):
    login = reverse("account_login")
    for i in range(settings.SIGN_IN_FAILURES_PER_ACCOUNT):
        Client().post(
            login,
            {"login": physician.email, "password": "wrong password!"},
            **through_proxy(f"203.0.113.{i + 1}"),
        )
    visitor = Client()
    response = visitor.post(
        login, {"login": physician.email, "password": PASSWORD}, **through_proxy("198.51.100.7")
    )
    assert response.get("Location") != reverse("mfa_authenticate")
    assert "_auth_user_id" not in visitor.session


def test_the_audit_row_of_a_request_through_the_proxy_carries_the_clients_address(
    client, physician, behind_proxy
):
    client.post(
        reverse("account_login"),
        {"login": physician.email, "password": "wrong password!"},
        **through_proxy("198.51.100.7"),
    )
    failed = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert failed.ip == "198.51.100.7"


def test_first_set_up_shows_the_recovery_codes_without_asking_again(client, kyiv):
    nurse = make_user("nurse@test.clinic", roles=["nurse"], sites=[kyiv], totp=False)
    sign_in(client, nurse.email)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(response["Location"])
    assert codes.status_code == 200
    assert codes.context["unused_codes"]


def test_recovery_codes_ask_to_re_authenticate_after_a_while(client, physician):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(physician)
    sign_in(client, physician.email)
    client.post(reverse("mfa_authenticate"), {"code": current_totp_code(physician.totp_secret)})
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    with time_machine.travel(time.time() + 301):
        for name in ("mfa_view_recovery_codes", "mfa_download_recovery_codes"):
            response = client.get(reverse(name))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_reauthenticate"))
        # Replacing them is refused too, and nothing is replaced.
        before = list(Authenticator.objects.filter(user=physician).values_list("data", flat=True))
        response = client.post(reverse("mfa_generate_recovery_codes"))
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        after = list(Authenticator.objects.filter(user=physician).values_list("data", flat=True))
        assert after == before
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
