"""Fixtures shared by every app's tests: the two sites and one user per role at each."""

import os
import shutil

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.locations.models import Site
from clinic.patients.models import Patient

IN_CI = os.getenv("CI", "").lower() == "true"


def pytest_configure(config):
    # TEST_CLOCK=2026-12-06T23:55+02:00 runs the suite as if started at that moment (the clock
    # ticks on), to find tests that hold only at some hours or on some weekdays.
    if clock := os.getenv("TEST_CLOCK"):
        import time_machine

        time_machine.travel(clock, tick=True).start()


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    # Tests of one database's own behaviour run in that database's pass of `make test` and are
    # left out (not skipped) in the other, so a skip always means something is missing.
    vendor = "postgres" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    other = {"postgres": "sqlite", "sqlite": "postgres"}[vendor]
    kept, left_out = [], []
    for item in items:
        (left_out if item.get_closest_marker(other) else kept).append(item)
        # Browser tests share one live server per worker; keep them on one xdist worker.
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create dozens. Hashing itself is Django's.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_menu_counters():
    # The menu's counters are kept per user for a few seconds in the process; a test's users
    # may reuse the ids of an earlier test's.
    from clinic.core import navigation

    navigation.forget_counts()
    yield
    navigation.forget_counts()


@pytest.fixture
def kyiv(db):
    return Site.objects.create(
        code="kyiv", name="Київ", name_uk="Київ", name_en="Kyiv", phone="+380737308088"
    )


@pytest.fixture
def lviv(db):
    return Site.objects.create(
        code="lviv", name="Львів", name_uk="Львів", name_en="Lviv", phone="+380737308088"
    )


def make_user(email, *, roles=(), sites=(), totp=True, password="correct horse battery"):
    user = User.objects.create_user(email=email, full_name=email.split("@")[0], password=password)
    user.groups.set([Group.objects.get(name=str(r)) for r in roles])
    user.sites.set(sites)
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return User.objects.get(pk=user.pk)


@pytest.fixture
def staff_factory(db):
    return make_user


@pytest.fixture
def users(kyiv, lviv):
    """One user per role per site: users[(role, "kyiv")]."""
    found = {}
    for site in (kyiv, lviv):
        for role in Role:
            found[(role, site.code)] = make_user(
                f"{role.value}.{site.code}@test.clinic", roles=[role], sites=[site]
            )
    return found


@pytest.fixture
def admin_client(client, users):
    """A client signed in as the Kyiv administrator (shadows pytest-django's superuser one)."""
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    return client


def authenticate_recently(client, user, *, seconds_ago: float = 0) -> None:
    """What signing in (or re-authenticating) leaves in the session, for a client that was
    signed in with `force_login`: pages behind `core.policy.recently_authenticated` open."""
    import time

    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time() - seconds_ago, "reauthenticated": True}
    ]
    session.save()


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now. Near the end of a 30-second period the code
    could expire between typing and checking, so wait for the next period instead."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time() // 30)))


def make_patient(site, number="T-0001", **fields):
    from datetime import date

    defaults = {
        "family_name": "Коваленко",
        "given_name": "Олена",
        "birth_date": date(1990, 1, 1),
        "created_by": User.objects.system_actor(),
    }
    defaults.update(fields)
    return Patient.objects.create(record_number=number, home_site=site, **defaults)


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, stopped before the test database is dropped (otherwise
    PostgreSQL refuses to drop a database the server thread is still connected to)."""
    return live_server


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium")
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is missing; CI must run the browser tests")
        pytest.skip("Chromium is not installed: browser tests skipped")
    return path
