"""Moving a visit from the day board: the visit's cell opens a move form (in the board's side
panel with htmx, as a page without) listing the free times from the board's day; the move
returns to the board on the new day."""

from datetime import date

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent
from clinic.scheduling import services
from clinic.scheduling.availability import find_slots
from clinic.scheduling.models import Appointment, AppointmentEvent
from clinic.scheduling.tests.conftest import at

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def desk(client, reception):
    client.force_login(reception)
    return client


def book(visit, clinic, users, patient, reception, starts_at, code="follow_up"):
    return services.book_appointment(
        patient,
        visit_type=visit[code],
        site=patient.home_site,
        starts_at=starts_at,
        practitioner=users[(Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=reception,
    )


def move_url(appointment) -> str:
    return reverse("scheduling:move", args=[appointment.public_id])


def test_the_visits_cell_opens_the_move_form_with_the_free_times_of_the_boards_day(
    desk, visit, clinic, users, patient, reception
):
    appointment = book(visit, clinic, users, patient, reception, at(4, 10))
    board = desk.get(reverse("scheduling:day"), {"date": "2026-03-04"}).content.decode()
    link = f"{move_url(appointment)}?board=2026-03-04"
    assert f'href="{link}" hx-get="{link}" hx-target="#cell-panel"' in board

    panel = desk.get(link, headers={"HX-Request": "true"})
    text = panel.content.decode()
    assert "<html" not in text  # a partial for the board's panel
    free = find_slots(
        visit["follow_up"],
        sites=[appointment.site],
        first_day=date(2026, 3, 4),
        last_day=date(2026, 3, 4),
        patient=patient,
        exclude=appointment,
    )
    assert free and free[0].key in text
    assert 'name="board" value="2026-03-04"' in text

    page = desk.get(link)  # without htmx: the same form as a page
    assert "<html" in page.content.decode() and free[0].key in page.content.decode()


def test_picking_a_time_moves_the_visit_and_returns_to_the_board_on_its_new_day(
    desk, visit, clinic, users, patient, reception
):
    appointment = book(visit, clinic, users, patient, reception, at(4, 10))
    target = find_slots(
        visit["follow_up"],
        sites=[appointment.site],
        first_day=date(2026, 3, 5),
        last_day=date(2026, 3, 5),
        exclude=appointment,
    )[0]
    response = desk.post(move_url(appointment), {"slot": target.key, "board": "2026-03-04"})
    assert response.url == reverse("scheduling:day") + "?date=2026-03-05"
    appointment.refresh_from_db()
    assert appointment.starts_at == target.starts_at
    moved = AppointmentEvent.objects.get(appointment=appointment, kind="moved")
    assert moved.previous_starts_at == at(4, 10)


def test_a_taken_time_is_refused_back_on_the_board_and_nothing_moves(
    desk, visit, clinic, users, patient, other_patient, reception
):
    appointment = book(visit, clinic, users, patient, reception, at(4, 10))
    target = find_slots(
        visit["follow_up"],
        sites=[appointment.site],
        first_day=date(2026, 3, 5),
        last_day=date(2026, 3, 5),
        exclude=appointment,
    )[0]
    book(visit, clinic, users, other_patient, reception, target.starts_at)  # taken meanwhile
    response = desk.post(
        move_url(appointment), {"slot": target.key, "board": "2026-03-04"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("scheduling:day") + "?date=2026-03-04"
    assert Appointment.objects.get(pk=appointment.pk).starts_at == at(4, 10)
    assert not AppointmentEvent.objects.filter(appointment=appointment, kind="moved").exists()
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED, object_id__isnull=False)
    assert refusal.actor == reception


def test_a_nurse_sees_no_move_and_cannot_move(client, visit, clinic, users, patient, reception):
    appointment = book(visit, clinic, users, patient, reception, at(4, 10))
    client.force_login(users[(Role.NURSE, "kyiv")])
    board = client.get(reverse("scheduling:day"), {"date": "2026-03-04"}).content.decode()
    assert move_url(appointment) not in board
    target = find_slots(
        visit["follow_up"],
        sites=[appointment.site],
        first_day=date(2026, 3, 5),
        last_day=date(2026, 3, 5),
        exclude=appointment,
    )[0]
    response = client.post(move_url(appointment), {"slot": target.key, "board": "2026-03-04"})
    assert response.status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).starts_at == at(4, 10)
