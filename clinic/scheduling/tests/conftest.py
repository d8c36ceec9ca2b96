"""Fixtures for scheduling: rooms, hours, visit types and a clock on a plain Monday."""

from datetime import datetime, time

import pytest
import time_machine
from django.contrib.auth.models import Group

from clinic.accounts.roles import Role
from clinic.conftest import make_patient, make_user
from clinic.locations.models import OpeningHours, Room
from clinic.scheduling.clock import KYIV
from clinic.scheduling.demo import VISIT_TYPES, ensure_visit_types
from clinic.scheduling.models import VisitType, WorkingHours

# Monday 2 March 2026, 08:00 in Kyiv: the week ahead is ordinary (no DST change, no holiday).
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=KYIV)


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English; pages are checked in both languages."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def at(day, hour, minute=0):
    """An aware instant for a local wall time in March 2026 (no DST change in these days)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=KYIV)


def open_weekdays(site, opens=time(9), closes=time(19)):
    for weekday in range(1, 6):
        OpeningHours.objects.update_or_create(
            site=site, weekday=weekday, defaults={"opens": opens, "closes": closes}
        )


def give_hours(user, site, starts=time(9), ends=time(19), weekdays=range(1, 6)):
    for weekday in weekdays:
        WorkingHours.objects.create(
            practitioner=user, site=site, weekday=weekday, starts=starts, ends=ends
        )


@pytest.fixture
def clinic(db, kyiv, lviv, users):
    """Both sites open Mon-Fri 9-19 with rooms, chairs and a TES room; every clinical user of
    each site works Mon-Fri 9-19; the demo visit types exist."""
    rooms = {}
    for site in (kyiv, lviv):
        open_weekdays(site)
        rooms[site.code] = {
            "consulting": Room.objects.create(site=site, name="Кабінет 1", kind="consulting"),
            "chair1": Room.objects.create(site=site, name="Крісло 1", kind="infusion_chair"),
            "chair2": Room.objects.create(site=site, name="Крісло 2", kind="infusion_chair"),
            "tes": Room.objects.create(site=site, name="Кабінет ТЕС", kind="tes"),
        }
        for role in (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST):
            give_hours(users[(role, site.code)], site)
    ensure_visit_types()
    return rooms


@pytest.fixture
def visit(clinic):
    return {code: VisitType.objects.get(code=code) for code, *_ in VISIT_TYPES}


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-0001", phone="+380501112233")


@pytest.fixture
def other_patient(kyiv):
    return make_patient(
        kyiv, "K-0002", family_name="Шевчук", email="s@example.org", preferred_channel="email"
    )


@pytest.fixture
def reception(users):
    return users[(Role.RECEPTIONIST, "kyiv")]


def second_nurse(site, email="nurse2@test.clinic"):
    user = make_user(email, roles=[Role.NURSE], sites=[site])
    give_hours(user, site)
    return user


def role_group(role):
    return Group.objects.get(name=role)
