import uuid

import pytest

from clinic.accounts.roles import Role
from clinic.core.models import AuditEvent
from clinic.inquiries.models import ConsentText, Inquiry, InquiryEvent

pytestmark = pytest.mark.django_db


def make_inquiry(site, name="Олена", **fields):
    defaults = {
        "phone": "+380671234567",
        "topic": "trd",
        "channel": "phone",
        "language": "uk",
        "consent": ConsentText.objects.get(version=1),
        "sender_hash": "x",
    }
    defaults.update(fields)
    return Inquiry.objects.create(name=name, site=site, **defaults)


@pytest.fixture
def reception(client, users):
    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    return client


def test_reception_sees_own_site_inquiries_with_filters(reception, kyiv, lviv):
    make_inquiry(kyiv, "Київська Нова")
    make_inquiry(kyiv, "Київська Закрита", status="closed")
    make_inquiry(lviv, "Львівська")
    page = reception.get("/staff/inquiries/").content.decode()
    assert "Київська Нова" in page and "Київська Закрита" in page and "Львівська" not in page
    page = reception.get("/staff/inquiries/", {"status": "new"}).content.decode()
    assert "Київська Нова" in page and "Київська Закрита" not in page


def test_the_menu_counts_new_inquiries(reception, kyiv, lviv):
    make_inquiry(kyiv)
    make_inquiry(kyiv)
    make_inquiry(kyiv, status="contacted")
    make_inquiry(lviv)
    page = reception.get("/staff/").content.decode()
    assert '<span class="nav-count">2<' in page


def test_opening_an_inquiry_is_audited(reception, users, kyiv):
    inquiry = make_inquiry(kyiv)
    response = reception.get(f"/staff/inquiries/{inquiry.public_id}/")
    assert response.status_code == 200
    assert "+380 67 123 4567" in response.content.decode()
    event = AuditEvent.objects.get(action="inquiry.viewed")
    assert event.actor == users[(Role.RECEPTIONIST, "kyiv")]
    assert event.object_id == str(inquiry.public_id)


def test_another_sites_inquiry_is_not_found(reception, lviv):
    inquiry = make_inquiry(lviv)
    assert reception.get(f"/staff/inquiries/{inquiry.public_id}/").status_code == 404
    reception.post(f"/staff/inquiries/{inquiry.public_id}/status/", {"status": "contacted"})
    assert Inquiry.objects.get(pk=inquiry.pk).status == "new"


def test_status_moves_along_and_is_kept_as_history(reception, users, kyiv):
    inquiry = make_inquiry(kyiv)
    url = f"/staff/inquiries/{inquiry.public_id}/status/"
    reception.post(url, {"status": "contacted", "note": "Передзвонила, домовились"})
    inquiry.refresh_from_db()
    reception.post(url, {"status": "closed"})
    inquiry.refresh_from_db()
    assert inquiry.status == "closed"
    history = list(inquiry.events.values_list("kind", "status", "text"))
    assert history == [
        ("status", "contacted", "Передзвонила, домовились"),
        ("status", "closed", ""),
    ]
    assert AuditEvent.objects.filter(action="inquiry.status_changed").count() == 2


def test_an_impossible_status_change_is_refused_and_changes_nothing(reception, kyiv):
    inquiry = make_inquiry(kyiv)
    reception.post(f"/staff/inquiries/{inquiry.public_id}/status/", {"status": "converted"})
    assert Inquiry.objects.get(pk=inquiry.pk).status == "new"
    assert not InquiryEvent.objects.exists()
    assert not AuditEvent.objects.filter(action="inquiry.status_changed").exists()


def test_assigning_and_notes(reception, users, kyiv):
    inquiry = make_inquiry(kyiv)
    colleague = users[(Role.ADMINISTRATOR, "kyiv")]
    reception.post(f"/staff/inquiries/{inquiry.public_id}/assign/", {"to": colleague.pk})
    reception.post(f"/staff/inquiries/{inquiry.public_id}/notes/", {"text": "Не відповідає"})
    inquiry.refresh_from_db()
    assert inquiry.assigned_to == colleague
    assert list(inquiry.events.values_list("kind", flat=True)) == ["assigned", "note"]


def test_assigning_to_someone_at_another_site_is_refused(reception, users, kyiv):
    inquiry = make_inquiry(kyiv)
    outsider = users[(Role.RECEPTIONIST, "lviv")]
    reception.post(f"/staff/inquiries/{inquiry.public_id}/assign/", {"to": outsider.pk})
    assert Inquiry.objects.get(pk=inquiry.pk).assigned_to is None


def test_a_physician_has_no_inbox(client, users):
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    assert client.get("/staff/inquiries/").status_code == 403


def test_inbox_query_count_does_not_grow(reception, kyiv, django_assert_max_num_queries):
    make_inquiry(kyiv)
    with django_assert_max_num_queries(40) as few:
        reception.get("/staff/inquiries/")
    for i in range(30):
        make_inquiry(kyiv, f"N{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        reception.get("/staff/inquiries/")


def test_reception_registers_a_contacted_person_as_a_patient(reception, users, kyiv):
    from clinic.patients.models import Patient

    inquiry = make_inquiry(kyiv, status="contacted")
    response = reception.post(
        f"/staff/inquiries/{inquiry.public_id}/convert/",
        {
            "family_name": "Коваль",
            "given_name": "Олена",
            "patronymic": "",
            "birth_date": "1990-05-01",
        },
    )
    patient = Patient.objects.get()
    assert response["Location"] == f"/staff/patients/{patient.public_id}/"
    assert (patient.record_number, patient.home_site) == ("K-0001", kyiv)
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.patient) == ("converted", patient)
    event = AuditEvent.objects.get(action="inquiry.converted")
    assert event.patient == patient
    assert AuditEvent.objects.filter(action="patient.registered", patient=patient).exists()


def test_a_retried_registration_from_an_inquiry_registers_one_patient(reception, kyiv):
    from clinic.patients.models import Patient

    inquiry = make_inquiry(kyiv, status="contacted")
    form = {
        "family_name": "Коваль",
        "given_name": "Олена",
        "birth_date": "1990-05-01",
        "idempotency_key": str(uuid.uuid4()),
    }
    first = reception.post(f"/staff/inquiries/{inquiry.public_id}/convert/", form)
    again = reception.post(f"/staff/inquiries/{inquiry.public_id}/convert/", form)
    patient = Patient.objects.get()
    assert first["Location"] == again["Location"] == f"/staff/patients/{patient.public_id}/"
    assert AuditEvent.objects.filter(action="inquiry.converted").count() == 1


def test_the_registration_form_of_an_inquiry_carries_a_fresh_key(reception, kyiv):
    inquiry = make_inquiry(kyiv, status="contacted")
    page = reception.get(f"/staff/inquiries/{inquiry.public_id}/").content.decode()
    assert 'type="hidden" name="idempotency_key"' in page


def test_record_numbers_continue_per_site(reception, kyiv):
    from clinic.conftest import make_patient
    from clinic.patients.models import Patient

    make_patient(kyiv, "K-0001")
    inquiry = make_inquiry(kyiv, status="contacted")
    reception.post(
        f"/staff/inquiries/{inquiry.public_id}/convert/",
        {"family_name": "А", "given_name": "Б", "birth_date": "1990-05-01"},
    )
    assert Patient.objects.filter(record_number="K-0002").exists()


@pytest.mark.parametrize("birth_date", ["2999-01-01", "1850-01-01", "not a date", ""])
def test_conversion_with_a_bad_birth_date_changes_nothing(reception, kyiv, birth_date):
    from clinic.patients.models import Patient

    inquiry = make_inquiry(kyiv, status="contacted")
    reception.post(
        f"/staff/inquiries/{inquiry.public_id}/convert/",
        {"family_name": "А", "given_name": "Б", "birth_date": birth_date},
    )
    assert not Patient.objects.exists()
    assert Inquiry.objects.get(pk=inquiry.pk).status == "contacted"


def test_a_new_inquiry_cannot_be_converted_before_contact(reception, kyiv):
    from clinic.patients.models import Patient

    inquiry = make_inquiry(kyiv)
    reception.post(
        f"/staff/inquiries/{inquiry.public_id}/convert/",
        {"family_name": "А", "given_name": "Б", "birth_date": "1990-05-01"},
    )
    assert not Patient.objects.exists()


def test_an_administrator_cannot_register_patients_from_the_inbox(client, users, kyiv):
    from clinic.patients.models import Patient

    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    inquiry = make_inquiry(kyiv, status="contacted")
    response = client.post(
        f"/staff/inquiries/{inquiry.public_id}/convert/",
        {"family_name": "А", "given_name": "Б", "birth_date": "1990-05-01"},
    )
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_a_bare_status_change_to_patient_is_refused(reception, kyiv):
    inquiry = make_inquiry(kyiv, status="contacted")
    reception.post(f"/staff/inquiries/{inquiry.public_id}/status/", {"status": "converted"})
    assert Inquiry.objects.get(pk=inquiry.pk).status == "contacted"
