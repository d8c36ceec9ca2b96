"""Several visitors confirm the same time on the public site at the same instant.

Each attempt runs in its own thread and connection (test_concurrency.Database): on
PostgreSQL the exclusion constraints decide, on SQLite the IMMEDIATE transactions do.
Exactly one wins; the others get a clear message and leave nothing behind.
"""

import re
import threading
from datetime import date

import pytest
from django.db import connections

from clinic.accounts.roles import Role
from clinic.core.audit import verify_chains
from clinic.inquiries.models import ConsentText
from clinic.scheduling import online
from clinic.scheduling.tests.conftest import at
from clinic.scheduling.tests.test_concurrency import Database

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen")]

VISITORS = 8


def race(database, attempts):
    barrier = threading.Barrier(len(attempts))
    outcomes, lock = [], threading.Lock()

    def run(attempt):
        database.connect_this_thread()
        try:
            barrier.wait()
            attempt()
            outcome = ("won", "")
        except online.OnlineBookingRefused as refusal:
            outcome = ("refused", refusal.message)
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


def test_visitors_taking_the_same_time_at_once_give_exactly_one_hold(
    tmp_path, visit, clinic, kyiv, users
):
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    doctor.role_names, doctor.site_ids  # noqa: B018 - resolved once, not in every thread
    database = Database(tmp_path)

    def attempt(n):
        return lambda: online.hold_online_time(
            visit_type=visit["first_consultation"],
            site=kyiv,
            starts_at=at(2, 10),
            practitioner=doctor,
            room=clinic["kyiv"]["consulting"],
            ip=f"203.0.113.{n}",
            language="uk",
            actor=online.ONLINE_BOOKING,
        )

    outcomes = race(database, [attempt(n) for n in range(VISITORS)])

    assert [o for o in outcomes if o[0] == "error"] == []
    assert sum(1 for o in outcomes if o[0] == "won") == 1
    refused = [message for kind, message in outcomes if kind == "refused"]
    assert len(refused) == VISITORS - 1 and all(refused)
    assert database.count("SELECT count(*) FROM scheduling_appointment") == 1
    assert database.count("SELECT count(*) FROM scheduling_onlinebooking") == 1
    if database.file is None:
        assert verify_chains() == []


def test_two_confirmations_of_one_booking_at_once_register_one_patient(
    tmp_path, visit, clinic, kyiv, users
):
    # Flushed by the transactional tests before: the consent text the migration wrote.
    ConsentText.objects.update_or_create(
        version=1, defaults={"text_uk": "Згода", "text_en": "Consent", "effective_from": at(1, 0)}
    )
    doctor = users[(Role.PHYSICIAN, "kyiv")]
    booking = online.hold_online_time(
        visit_type=visit["first_consultation"],
        site=kyiv,
        starts_at=at(2, 10),
        practitioner=doctor,
        room=clinic["kyiv"]["consulting"],
        ip="203.0.113.1",
        language="uk",
        actor=online.ONLINE_BOOKING,
    )
    online.send_booking_code(
        booking,
        family_name="Шевчук",
        given_name="Ірина",
        patronymic="",
        birth_date=date(1991, 4, 12),
        phone="+380671234567",
        email="",
        channel="sms",
        consent_version=1,
        ip="203.0.113.1",
        actor=online.ONLINE_BOOKING,
    )
    from clinic.core.models import OutboxMessage

    code = re.search(r"\b(\d{6})\b", OutboxMessage.objects.get().body).group(1)
    database = Database(tmp_path)

    def confirm():
        online.confirm_online_booking(booking, code=code, actor=online.ONLINE_BOOKING)

    outcomes = race(database, [confirm, confirm])

    assert sorted(kind for kind, _ in outcomes) == ["refused", "won"]
    assert database.count("SELECT count(*) FROM patients_patient") == 1
    assert (
        database.count("SELECT count(*) FROM scheduling_appointment WHERE status = 'booked'") == 1
    )
