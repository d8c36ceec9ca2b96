"""The lock rules of docs/architecture.md ("Locks and their order"), checked two ways.

Statically: every `select_for_update` in the code locks only its own table's row, and only as
FOR NO KEY UPDATE. Under load (PostgreSQL): nurses recording vital signs, receptionists
booking and registering, and clinicians opening charts, all at one site at the same time,
see no deadlock and no error. Before the rules, this mix answered 503 to about a third of
its writes.
"""

import ast
import threading
import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest
import time_machine
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.audit import verify_chains
from clinic.locations.models import OpeningHours, Room
from clinic.patients import services as patient_services
from clinic.patients.models import Patient
from clinic.scheduling import services as scheduling
from clinic.scheduling.clock import KYIV
from clinic.scheduling.demo import ensure_visit_types
from clinic.scheduling.models import Appointment, VisitType, WorkingHours
from clinic.treatment.models import VitalSigns
from clinic.treatment.tests.factories import make_chair, make_course, make_session, record

CODE = Path(__file__).resolve().parents[2]


def lock_calls():
    """(file, function, line, keywords) of every select_for_update call outside the tests."""
    for path in sorted(CODE.rglob("*.py")):
        relative = path.relative_to(CODE).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "select_for_update"
                ):
                    keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
                    yield relative, function.name, node.lineno, keywords


def test_every_row_lock_takes_only_its_own_row_without_blocking_foreign_keys():
    calls = list(lock_calls())
    assert len(calls) > 30  # the scan finds the project's locks
    wrong = [
        f"{path}:{line} ({name})"
        for path, name, line, keywords in calls
        if (keywords.get("of") != "('self',)" or keywords.get("no_key") != "True")
    ]
    assert wrong == []


# Monday 2 March 2026, 08:00 in Kyiv: the bookings below fall on ordinary working days.
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=KYIV)
ROUNDS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writes_and_chart_views_at_one_site_do_not_deadlock(kyiv, users):
    nurse, physician = users[(Role.NURSE, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    reception = users[(Role.RECEPTIONIST, "kyiv")]
    with time_machine.travel(NOW, tick=True):
        for weekday in range(1, 6):
            OpeningHours.objects.create(site=kyiv, weekday=weekday, opens=time(9), closes=time(19))
            WorkingHours.objects.create(
                practitioner=physician, site=kyiv, weekday=weekday, starts=time(9), ends=time(19)
            )
        ensure_visit_types()
        follow_up = VisitType.objects.get(code="follow_up")
        consulting = Room.objects.create(site=kyiv, name="Кабінет 1", kind="consulting")
        sessions = [
            make_session(
                make_course(make_patient(kyiv, f"K-90{i}", physician=physician), physician),
                make_chair(kyiv, name=f"Крісло {i}"),
                nurse=nurse,
                physician=physician,
            )
            for i in range(2)
        ]
        booked = [make_patient(kyiv, f"K-80{i}", phone=f"+38050111000{i}") for i in range(2)]
        slots = iter(
            datetime(2026, 3, day, hour, tzinfo=KYIV)
            for day in (3, 4, 5, 6)
            for hour in range(9, 18)
        )
        slot_lock = threading.Lock()
        viewers = []
        for role in (Role.PHYSICIAN, Role.NURSE):
            viewer = Client()
            viewer.force_login(users[(role, "kyiv")])
            viewers.append(viewer)
        charts = [reverse("patients:chart", args=[s.patient.public_id]) for s in sessions]
        for user in (nurse, physician, reception):
            user.role_names, user.site_ids  # noqa: B018 - resolved once, not in every thread

        def vitals(session):
            record(session, nurse)

        def booking(patient):
            with slot_lock:
                starts_at = next(slots)
            scheduling.book_appointment(
                patient,
                visit_type=follow_up,
                site=kyiv,
                starts_at=starts_at,
                practitioner=physician,
                room=consulting,
                actor=reception,
            )

        def registration(_):
            # As the registration page does it: the number and the record in one transaction.
            with transaction.atomic():
                patient_services.register_patient(
                    record_number=patient_services.next_record_number(kyiv),
                    family_name="Шевченко",
                    given_name=uuid.uuid4().hex[:8],
                    birth_date=date(1985, 5, 5),
                    home_site=kyiv,
                    actor=reception,
                )

        def chart_view(pair):
            viewer, url = pair
            response = viewer.get(url)
            assert response.status_code == 200, response.status_code

        work = [(vitals, s) for s in sessions]
        work += [(booking, p) for p in booked]
        work += [(registration, None)] * 2
        work += [(chart_view, pair) for pair in zip(viewers, charts, strict=True)]
        barrier = threading.Barrier(len(work))
        errors, done = [], []
        guard = threading.Lock()

        def run(step, argument):
            try:
                barrier.wait()
                for _ in range(ROUNDS):
                    step(argument)
                    with guard:
                        done.append(step.__name__)
            except Exception as error:  # noqa: BLE001 - any failure is what the test catches
                with guard:
                    errors.append(f"{step.__name__}: {error!r}")
            finally:
                connections["default"].close()

        threads = [threading.Thread(target=run, args=item) for item in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert len(done) == len(work) * ROUNDS
    assert VitalSigns.objects.count() == 2 * ROUNDS
    assert Appointment.objects.filter(patient__in=booked).count() == 2 * ROUNDS
    assert Patient.objects.filter(family_name="Шевченко").count() == 2 * ROUNDS
    assert verify_chains() == []
    # Every registration took its own number.
    numbers = Patient.objects.filter(home_site=kyiv).values_list("record_number", flat=True)
    assert len(set(numbers)) == len(numbers)
