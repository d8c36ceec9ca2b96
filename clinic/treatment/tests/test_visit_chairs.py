"""Starting a session when the booked chair is taken, or none was booked: the free chairs of
the site are offered, the one chosen becomes the visit's room, recorded and audited."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.conftest import make_patient
from clinic.core.models import AuditEvent
from clinic.scheduling.models import Appointment, AppointmentEvent
from clinic.treatment import services
from clinic.treatment.models import InfusionSession
from clinic.treatment.tests.factories import make_chair, make_course, make_visit

pytestmark = pytest.mark.django_db
KYIV = ZoneInfo("Europe/Kyiv")
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=KYIV)


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False) as clock:
        yield clock


@pytest.fixture
def chair2(kyiv):
    return make_chair(kyiv, "Крісло 2")


@pytest.fixture
def chair3(kyiv):
    return make_chair(kyiv, "Крісло 3")


@pytest.fixture
def visit(patient, chair, nurse):
    return make_visit(patient, code="ketamine_infusion", practitioner=nurse, room=chair)


@pytest.fixture
def someone_on(kyiv, physician, nurse):
    """Seat another patient of the site on a chair (a session under way)."""

    def seat(chair, number="K-0200"):
        other = make_course(make_patient(kyiv, number), physician)
        return services.open_infusion_session(other, chair=chair, actor=nurse)

    return seat


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


def start_url(visit):
    return f"/staff/treatment/visits/{visit.public_id}/infusion/"


def visit_page(client, visit):
    return client.get(f"/staff/schedule/appointments/{visit.public_id}/").content.decode()


def assert_nothing_written(visit, room):
    visit.refresh_from_db()
    assert (visit.status, visit.room) == ("booked", room)
    assert not visit.events.exists()
    assert not InfusionSession.objects.filter(appointment=visit).exists()


def test_a_taken_chair_is_exchanged_for_a_free_one_on_the_visit_and_audited(
    visit, course, chair, chair2, nurse, someone_on
):
    someone_on(chair)
    session = services.start_infusion_for_visit(visit, chair=chair2, actor=nurse)
    visit.refresh_from_db()
    assert (session.chair, visit.room, visit.status) == (chair2, chair2, "checked_in")
    moved = visit.events.get(kind=AppointmentEvent.Kind.MOVED)
    assert moved.note == "Крісло 1 → Крісло 2" and moved.by == nurse
    changed = AuditEvent.objects.get(action="appointment.room_changed")
    assert changed.actor == nurse and changed.patient == visit.patient
    assert changed.reason == "Крісло 1 → Крісло 2"


def test_a_visit_without_a_chair_asks_for_one_and_writes_nothing(patient, course, nurse):
    visit = make_visit(patient, code="ketamine_infusion", practitioner=nurse)
    with pytest.raises(services.TreatmentRefused, match="choose a free chair"):
        services.start_infusion_for_visit(visit, actor=nurse)
    assert_nothing_written(visit, None)


def test_a_visit_without_a_chair_is_seated_on_the_one_chosen(patient, course, chair2, nurse):
    visit = make_visit(patient, code="ketamine_infusion", practitioner=nurse)
    session = services.start_infusion_for_visit(visit, chair=chair2, actor=nurse)
    visit.refresh_from_db()
    assert session.chair == visit.room == chair2
    assert visit.events.get(kind=AppointmentEvent.Kind.MOVED).note == "— → Крісло 2"


def test_a_chair_booked_by_another_visit_then_is_refused_by_name_and_nothing_written(
    visit, course, chair, chair2, nurse, kyiv, physician
):
    # Another patient's visit at the same time, with another practitioner.
    make_visit(
        make_patient(kyiv, "K-0300"), code="ketamine_infusion", practitioner=physician, room=chair2
    )
    with pytest.raises(services.TreatmentRefused, match="Крісло 2 is already booked"):
        services.start_infusion_for_visit(visit, chair=chair2, actor=nurse)
    assert_nothing_written(visit, chair)
    assert not AuditEvent.objects.filter(action="appointment.room_changed").exists()


def test_a_chosen_chair_someone_sits_on_is_refused_and_the_change_rolled_back(
    visit, course, chair, chair2, nurse, someone_on
):
    someone_on(chair2)
    with pytest.raises(services.TreatmentRefused, match="Крісло 2 is taken"):
        services.start_infusion_for_visit(visit, chair=chair2, actor=nurse)
    assert_nothing_written(visit, chair)
    assert not AuditEvent.objects.filter(action="appointment.room_changed").exists()


def test_a_chair_of_another_site_is_refused(visit, course, chair, nurse, lviv):
    elsewhere = make_chair(lviv, "Крісло Львів")
    with pytest.raises(services.TreatmentRefused, match="cannot be used for this visit"):
        services.start_infusion_for_visit(visit, chair=elsewhere, actor=nurse)
    assert_nothing_written(visit, chair)


# --- Pages ---------------------------------------------------------------------------------


def test_the_visit_page_offers_only_the_free_chairs_when_the_booked_one_is_taken(
    nurse_client, visit, course, chair, chair2, chair3, physician, kyiv, someone_on
):
    someone_on(chair)
    # Another patient's visit at the same time, with another practitioner.
    make_visit(
        make_patient(kyiv, "K-0300"), code="ketamine_infusion", practitioner=physician, room=chair3
    )
    page = visit_page(nurse_client, visit)
    assert "Крісло 1 зайняте: виберіть вільне крісло." in page
    assert f'<option value="{chair2.pk}">Крісло 2</option>' in page
    assert f'value="{chair.pk}"' not in page and f'value="{chair3.pk}"' not in page


def test_the_visit_page_offers_no_choice_while_the_booked_chair_is_free(
    nurse_client, visit, course, chair2
):
    page = visit_page(nurse_client, visit)
    assert 'name="chair"' not in page and start_url(visit) in page


def test_the_nurse_picks_a_free_chair_on_the_visit_page(
    nurse_client, visit, course, chair, chair2, someone_on
):
    someone_on(chair)
    response = nurse_client.post(start_url(visit), {"chair": chair2.pk})
    session = InfusionSession.objects.get(appointment=visit)
    assert response["Location"] == f"/staff/treatment/infusions/{session.public_id}/"
    visit.refresh_from_db()
    assert session.chair == visit.room == chair2


def test_a_refused_chair_on_the_visit_page_is_shown_audited_and_writes_nothing(
    nurse_client, visit, course, chair, chair2, someone_on
):
    someone_on(chair2)
    response = nurse_client.post(start_url(visit), {"chair": chair2.pk}, follow=True)
    assert "Крісло 2 зайняте" in response.content.decode()
    assert_nothing_written(visit, chair)
    refusal = AuditEvent.objects.get(action="infusion.refused")
    assert refusal.outcome == AuditEvent.Outcome.DENIED and refusal.patient == visit.patient


def test_an_unknown_chair_on_the_visit_page_writes_nothing(nurse_client, visit, course, chair):
    nurse_client.post(start_url(visit), {"chair": "999999"})
    assert_nothing_written(visit, chair)
    assert Appointment.objects.get(pk=visit.pk).status == "booked"


def test_the_course_page_offers_only_the_free_chairs(
    nurse_client, course, chair, chair2, someone_on
):
    someone_on(chair)
    page = nurse_client.get(f"/staff/treatment/courses/{course.public_id}/").content.decode()
    assert f'<option value="{chair2.pk}"' in page
    assert f'<option value="{chair.pk}"' not in page


def test_the_course_page_says_when_no_chair_is_free(nurse_client, course, chair, someone_on):
    someone_on(chair)
    page = nurse_client.get(f"/staff/treatment/courses/{course.public_id}/").content.decode()
    assert "Жодне крісло закладу зараз не вільне." in page
    assert "/infusions/new/" not in page


def test_starting_from_the_board_on_a_taken_chair_leads_to_the_choice_of_a_free_one(
    nurse_client, visit, course, chair, chair2, someone_on
):
    someone_on(chair)
    response = nurse_client.post(start_url(visit), follow=True)
    assert response.redirect_chain[-1][0] == f"/staff/schedule/appointments/{visit.public_id}/"
    page = response.content.decode()
    assert "Крісло 1 зайняте: виберіть вільне крісло." in page
    assert f'<option value="{chair2.pk}">Крісло 2</option>' in page
    assert_nothing_written(visit, chair)
