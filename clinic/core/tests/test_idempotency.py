"""core.idempotency.once: one record per submission key."""

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections

from clinic.accounts.roles import Role
from clinic.core.idempotency import once
from clinic.core.models import IdempotencyKey
from clinic.locations.models import Room

pytestmark = pytest.mark.django_db


def make_room(site, name="Кабінет 7"):
    return lambda: Room.objects.create(site=site, name=name, kind="consulting")


def test_the_same_key_returns_the_first_record_and_writes_nothing_more(kyiv, users):
    actor, key = users[(Role.ADMINISTRATOR, "kyiv")], uuid.uuid4()
    first, created = once(key, action="room.added", actor=actor, create=make_room(kyiv))
    again, created_again = once(key, action="room.added", actor=actor, create=make_room(kyiv))
    assert (created, created_again) == (True, False)
    assert again == first and Room.objects.count() == 1


def test_a_refused_write_leaves_the_key_free_for_the_corrected_form(kyiv, users):
    actor, key = users[(Role.ADMINISTRATOR, "kyiv")], uuid.uuid4()

    def refuse():
        Room.objects.create(site=kyiv, name="half-written", kind="consulting")
        raise ValueError("refused")

    with pytest.raises(ValueError):
        once(key, action="room.added", actor=actor, create=refuse)
    assert not IdempotencyKey.objects.exists() and not Room.objects.exists()
    room, created = once(key, action="room.added", actor=actor, create=make_room(kyiv))
    assert created and Room.objects.get() == room


def test_another_users_or_another_forms_key_is_refused(kyiv, users):
    actor, key = users[(Role.ADMINISTRATOR, "kyiv")], uuid.uuid4()
    once(key, action="room.added", actor=actor, create=make_room(kyiv))
    with pytest.raises(PermissionDenied):
        once(key, action="room.added", actor=users[(Role.NURSE, "kyiv")], create=make_room(kyiv))
    with pytest.raises(PermissionDenied):
        once(key, action="other.write", actor=actor, create=make_room(kyiv))
    assert Room.objects.count() == 1


def test_without_a_key_it_simply_writes(kyiv, users):
    actor = users[(Role.ADMINISTRATOR, "kyiv")]
    once(None, action="room.added", actor=actor, create=make_room(kyiv))
    once(None, action="room.added", actor=actor, create=make_room(kyiv, "Кабінет 8"))
    assert Room.objects.count() == 2 and not IdempotencyKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copies_of_one_registration_racing_each_other_register_one_patient(kyiv, users):
    from datetime import date

    from clinic.patients.models import Patient
    from clinic.patients.services import register_new_patient

    reception, key = users[(Role.RECEPTIONIST, "kyiv")], uuid.uuid4()
    barrier, results, lock = threading.Barrier(8), [], threading.Lock()

    def submit():
        try:
            barrier.wait()
            patient = register_new_patient(
                home_site=kyiv,
                idempotency_key=key,
                family_name="Ґудзь",
                given_name="Марія",
                birth_date=date(1991, 5, 4),
                actor=reception,
            )
            outcome = patient.pk
        except Exception as error:  # noqa: BLE001 - any failure is what the test catches
            outcome = repr(error)
        finally:
            connections["default"].close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [Patient.objects.get().pk] * 8
