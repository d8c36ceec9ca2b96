"""The reads other parts of the system use: the patient's visits for the chart."""

import pytest

from clinic.accounts.roles import Role
from clinic.scheduling import services
from clinic.scheduling.selectors import history_for_patient, upcoming_for_patient
from clinic.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("frozen")


def test_upcoming_lists_standing_visits_in_order_and_history_keeps_everything(
    visit, clinic, kyiv, users, patient, reception, django_assert_max_num_queries
):
    doctor, room = users[(Role.PHYSICIAN, "kyiv")], clinic["kyiv"]["consulting"]

    def book(day, hour):
        return services.book_appointment(
            patient,
            visit_type=visit["follow_up"],
            site=kyiv,
            starts_at=at(day, hour),
            practitioner=doctor,
            room=room,
            actor=reception,
        )

    later, sooner, cancelled = book(5, 10), book(3, 10), book(4, 10)
    services.cancel_appointment(cancelled, reason="Перенесла", actor=reception)
    with django_assert_max_num_queries(1):
        upcoming = upcoming_for_patient(patient, limit=5)
        assert [a.starts_at for a in upcoming] == [at(3, 10), at(5, 10)]
        assert upcoming[0].practitioner == doctor and upcoming[0].room == room
    assert upcoming_for_patient(patient, limit=1) == [sooner]
    history = list(history_for_patient(patient))
    assert history == [later, cancelled, sooner]
    assert [e.kind for e in history[1].events.all()] == ["booked", "cancelled"]
