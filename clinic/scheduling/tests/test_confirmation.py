"""The infusion confirmation: how to prepare (the site's fasting interval, an escort home, no
driving, what to bring), messaged on booking and on a move and printed from the visit, in the
patient's language."""

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.scheduling import services
from clinic.scheduling.tests.conftest import at
from clinic.treatment.models import TreatmentSettings

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def six_hours(kyiv):
    return TreatmentSettings.objects.create(site=kyiv, fasting_required=True, fasting_hours=6)


def book_infusion(patient, visit, clinic, users, reception, starts_at=None):
    return services.book_appointment(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=patient.home_site,
        starts_at=starts_at or at(4, 10),
        practitioner=users[(Role.NURSE, "kyiv")],
        room=clinic["kyiv"]["chair1"],
        actor=reception,
    )


def bodies() -> list[str]:
    return list(OutboxMessage.objects.order_by("pk").values_list("body", flat=True))


def test_booking_an_infusion_messages_how_to_prepare_in_ukrainian(
    visit, clinic, users, reception, patient, six_hours
):
    book_infusion(patient, visit, clinic, users, reception)
    (body,) = bodies()
    assert "10:00" in body
    assert "Не їжте 6 годин до візиту." in body
    assert "супровід" in body.lower() and "не керуйте" in body.lower()
    # Nothing names the treatment (notifications.py).
    assert "інфузі" not in body.lower() and "кетамін" not in body.lower()


def test_an_english_speaking_patient_gets_it_in_english_and_again_on_a_move(
    visit, clinic, users, reception, kyiv, six_hours
):
    patient = make_patient(
        kyiv, "K-0200", email="anna@example.org", preferred_channel="email",
        preferred_language="en",
    )  # fmt: skip
    appointment = book_infusion(patient, visit, clinic, users, reception)
    services.reschedule_appointment(appointment, starts_at=at(5, 11), actor=reception)
    confirmation, change = bodies()
    for body in (confirmation, change):
        assert "Do not eat for 6 hours before the visit." in body
        assert "Come with an adult who will take you home" in body
        assert "Do not drive" in body
    assert "11:00" in change


def test_without_fasting_at_the_site_the_fasting_line_is_left_out(
    visit, clinic, users, reception, patient, kyiv
):
    TreatmentSettings.objects.create(site=kyiv, fasting_required=False)
    book_infusion(patient, visit, clinic, users, reception)
    (body,) = bodies()
    assert "Не їжте" not in body and "супровід" in body.lower()


def test_a_consultation_carries_no_preparation(visit, clinic, users, reception, patient):
    services.book_appointment(
        patient,
        visit_type=visit["follow_up"],
        site=patient.home_site,
        starts_at=at(4, 10),
        practitioner=users[(Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["consulting"],
        actor=reception,
    )
    (body,) = bodies()
    assert "Не їжте" not in body and "супровід" not in body.lower()


def test_a_booked_series_of_infusions_is_confirmed_once_with_the_preparation(
    visit, clinic, users, reception, patient, six_hours
):
    nurse, chair = users[(Role.NURSE, "kyiv")], clinic["kyiv"]["chair1"]
    services.book_series(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=patient.home_site,
        occurrences=[(at(4, 10), nurse, chair), (at(6, 10), nurse, chair)],
        actor=reception,
    )
    (body,) = bodies()
    assert body.count("Не їжте 6 годин до візиту.") == 1


def test_the_printed_confirmation_is_in_the_patients_language_and_audited(
    client, visit, clinic, users, reception, kyiv, six_hours
):
    patient = make_patient(kyiv, "K-0300", preferred_language="en")
    appointment = book_infusion(patient, visit, clinic, users, reception)
    client.force_login(reception)
    client.cookies["django_language"] = "uk"
    page = client.get(reverse("scheduling:confirmation", args=[appointment.public_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="uk"' in text and '<article class="card confirmation" lang="en"' in text
    assert "Do not eat for 6 hours before the visit." in text
    assert "Bring an identity document" in text
    event = AuditEvent.objects.get(action="appointment.confirmation.printed")
    assert (event.actor, event.patient) == (reception, patient)
    visit_page = client.get(reverse("scheduling:appointment", args=[appointment.public_id]))
    assert reverse("scheduling:confirmation", args=[appointment.public_id]) in (
        visit_page.content.decode()
    )


def test_another_sites_receptionist_cannot_print_it(
    client, visit, clinic, users, reception, patient
):
    appointment = book_infusion(patient, visit, clinic, users, reception)
    client.force_login(users[(Role.RECEPTIONIST, "lviv")])
    url = reverse("scheduling:confirmation", args=[appointment.public_id])
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="appointment.confirmation.printed").exists()


def test_a_cancelled_visit_has_no_confirmation_to_print(
    client, visit, clinic, users, reception, patient
):
    appointment = book_infusion(patient, visit, clinic, users, reception)
    services.cancel_appointment(appointment, reason="Захворіла", actor=reception)
    client.force_login(reception)
    url = reverse("scheduling:confirmation", args=[appointment.public_id])
    response = client.get(url)
    assert response.url == reverse("scheduling:appointment", args=[appointment.public_id])
    assert not AuditEvent.objects.filter(action="appointment.confirmation.printed").exists()
