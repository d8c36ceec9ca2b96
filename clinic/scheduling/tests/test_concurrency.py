"""Fifty receptionists click "book" on the same slot at the same instant (security.md §5.2).

Each attempt runs in its own thread with its own database connection; a barrier releases them
together. On PostgreSQL the threads share the test database and the exclusion constraints
decide; on SQLite the test database (in memory) is copied to a file first, because separate
connections to a shared in-memory database do not behave like the real file database: there,
every booking is an IMMEDIATE transaction and the service's check decides.
"""

import sqlite3
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.audit import verify_chains
from clinic.locations.models import Room
from clinic.scheduling import services
from clinic.scheduling.rules import SlotTaken
from clinic.scheduling.tests.conftest import at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen")]

THREADS = 50


class Database:
    """Where the threads connect: the test database itself, or a file copy of it (SQLite)."""

    def __init__(self, tmp_path):
        self.file = None
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            self.file = tmp_path / "race.sqlite3"
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def connect_this_thread(self):
        if self.file is not None:
            settings = dict(connection.settings_dict, NAME=str(self.file))
            connections["default"] = type(connections["default"])(settings, "default")

    def count(self, sql):
        if self.file is not None:
            with sqlite3.connect(self.file) as raw:
                return raw.execute(sql).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


def race(database, attempts):
    """Run each attempt in its own thread, all released at once; return outcomes."""
    barrier = threading.Barrier(len(attempts))
    outcomes = []
    lock = threading.Lock()

    def run(attempt):
        database.connect_this_thread()
        try:
            barrier.wait()
            attempt()
            outcome = ("booked", "")
        except SlotTaken as conflict:
            outcome = ("conflict", str(conflict))
        except Exception as error:  # noqa: BLE001 - any other failure is what the test catches
            outcome = ("error", repr(error))
        finally:
            connections["default"].close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_fifty_concurrent_bookings_of_one_chair_and_nurse_give_exactly_one(
    tmp_path, visit, clinic, kyiv, users
):
    patients = [
        make_patient(kyiv, f"R-{i:03d}", given_name=f"П{i}", phone=f"+38050111{i:04d}")
        for i in range(THREADS)
    ]
    nurse, chair = users[(Role.NURSE, "kyiv")], clinic["kyiv"]["chair1"]
    reception = users[(Role.RECEPTIONIST, "kyiv")]
    nurse.role_names, nurse.site_ids  # noqa: B018 - resolved once, not in 50 threads
    database = Database(tmp_path)

    def attempt_for(patient, minutes):
        return lambda: services.book_appointment(
            patient,
            visit_type=visit["ketamine_infusion"],
            site=kyiv,
            # Overlapping, not identical, times: the constraint is about ranges.
            starts_at=at(3, 10) + timedelta(minutes=minutes),
            practitioner=nurse,
            room=chair,
            actor=reception,
        )

    outcomes = race(database, [attempt_for(p, 5 * (i % 4)) for i, p in enumerate(patients)])

    assert len(outcomes) == THREADS
    assert [o for o in outcomes if o[0] == "error"] == []
    assert sum(1 for o in outcomes if o[0] == "booked") == 1
    conflicts = [message for kind, message in outcomes if kind == "conflict"]
    assert len(conflicts) == THREADS - 1
    assert all(message for message in conflicts)
    assert database.count("SELECT count(*) FROM scheduling_appointment") == 1
    # One confirmation: the refused bookings left no message behind.
    assert database.count("SELECT count(*) FROM core_outboxmessage") == 1
    if database.file is None:
        assert verify_chains() == []


def test_one_patient_booked_at_two_practitioners_at_once_gets_one_visit(
    tmp_path, visit, clinic, kyiv, users
):
    patient = make_patient(kyiv, "R-100")
    second_room = Room.objects.create(site=kyiv, name="Кабінет 2", kind="consulting")
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    therapist = users[(Role.PSYCHOTHERAPIST, "kyiv")]
    reception = users[(Role.RECEPTIONIST, "kyiv")]
    for person in (doctor, therapist):
        person.role_names, person.site_ids  # noqa: B018
    database = Database(tmp_path)

    def with_doctor():
        services.book_appointment(
            patient,
            visit_type=visit["follow_up"],
            site=kyiv,
            starts_at=at(3, 11),
            practitioner=doctor,
            room=clinic["kyiv"]["consulting"],
            actor=reception,
        )

    def with_therapist():
        services.book_appointment(
            patient,
            visit_type=visit["psychotherapy"],
            site=kyiv,
            starts_at=at(3, 11, 15),
            practitioner=therapist,
            room=second_room,
            actor=reception,
        )

    outcomes = race(database, [with_doctor, with_therapist] * 10)

    assert [o for o in outcomes if o[0] == "error"] == []
    assert sum(1 for o in outcomes if o[0] == "booked") == 1
    assert database.count("SELECT count(*) FROM scheduling_appointment") == 1
