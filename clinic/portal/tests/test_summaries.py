"""Session summaries: a physician writes a plain-language summary of a signed session note,
releases it to the patient's portal and can withdraw it; nothing of the note goes with it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from clinic.accounts.roles import Role
from clinic.conftest import make_patient
from clinic.core import records
from clinic.core.models import AuditEvent
from clinic.portal import services
from clinic.portal.models import SessionSummary
from clinic.treatment import services as treatment

NOTE_TEXT = "Клінічний текст нотатки: не для пацієнта"
SUMMARY = "Ми говорили про сон. Наступна зустріч за тиждень."


def write_note(patient, author, *, signed=True, kind="integration"):
    note = treatment.write_session_note(
        patient, kind=kind, held_on=timezone.localdate(), text=NOTE_TEXT, actor=author
    )
    if signed:
        note = records.sign_note(note, actor=author)
    return note


@pytest.fixture
def note(frozen, patient, physician):
    return write_note(patient, physician)


@pytest.fixture
def staff(physician):
    staff_client = Client()
    staff_client.force_login(physician)
    return staff_client


def summary_url(note):
    return reverse("portal_staff:summary", args=[note.public_id])


@pytest.mark.django_db
def test_the_form_starts_empty_and_shows_nothing_of_the_note(staff, note):
    page = staff.get(summary_url(note))
    assert page.status_code == 200
    html = page.content.decode()
    assert NOTE_TEXT not in html
    assert AuditEvent.objects.filter(action="portal.summary.viewed", patient=note.patient).exists()


@pytest.mark.django_db
def test_a_physician_releases_a_summary_the_patient_reads_in_the_portal(
    staff, note, account, physician
):
    response = staff.post(summary_url(note), {"text": SUMMARY, "action": "release"})
    assert response.status_code == 302
    summary = SessionSummary.objects.get(note=note)
    assert summary.is_released and summary.released_by == physician
    assert summary.text == SUMMARY
    assert AuditEvent.objects.filter(action="portal.summary.released", actor=physician).exists()

    patient_client = Client()
    from clinic.portal.tests.conftest import sign_in

    sign_in(patient_client, account)
    with translation.override("en"):
        page = patient_client.get(reverse("portal:documents")).content.decode()
    assert "Ми говорили про сон." in page
    assert physician.full_name in page
    assert NOTE_TEXT not in page
    pdf = patient_client.get(reverse("portal:summary_pdf", args=[summary.public_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action="portal.summary.downloaded", patient=note.patient
    ).exists()
    data = patient_client.get(reverse("portal:export_json")).json()
    assert [s["summary"] for s in data["session_summaries"]] == [SUMMARY]
    assert data["session_summaries"][0]["clinician"] == physician.full_name


@pytest.mark.django_db
def test_a_saved_summary_stays_hidden_until_released(staff, note, portal_client):
    staff.post(summary_url(note), {"text": SUMMARY, "action": "save"})
    summary = SessionSummary.objects.get(note=note)
    assert not summary.is_released
    page = portal_client.get(reverse("portal:documents")).content.decode()
    assert "Ми говорили про сон." not in page
    pdf_url = reverse("portal:summary_pdf", args=[summary.public_id])
    assert portal_client.get(pdf_url).status_code == 404


@pytest.mark.django_db
def test_a_withdrawn_summary_leaves_the_portal(staff, note, portal_client, physician):
    staff.post(summary_url(note), {"text": SUMMARY, "action": "release"})
    summary = SessionSummary.objects.get(note=note)
    staff.post(summary_url(note), {"action": "withdraw"})
    summary.refresh_from_db()
    assert not summary.is_released and summary.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="portal.summary.withdrawn", actor=physician).exists()
    pdf_url = reverse("portal:summary_pdf", args=[summary.public_id])
    assert portal_client.get(pdf_url).status_code == 404
    assert portal_client.get(reverse("portal:export_json")).json()["session_summaries"] == []


@pytest.mark.django_db
def test_a_released_summary_is_not_changed_under_the_patient(note, physician):
    services.write_summary(note, text=SUMMARY, actor=physician)
    services.release_summary(note, actor=physician)
    with pytest.raises(services.SummaryRefused):
        services.write_summary(note, text="Інший текст", actor=physician)
    assert SessionSummary.objects.get(note=note).text == SUMMARY


@pytest.mark.django_db
def test_an_unsigned_note_cannot_be_summarised(staff, frozen, patient, physician):
    draft = write_note(patient, physician, signed=False)
    response = staff.post(summary_url(draft), {"text": SUMMARY, "action": "release"})
    assert response.status_code == 200
    assert not SessionSummary.objects.exists()
    assert AuditEvent.objects.filter(
        action="portal.summary.refused", outcome=AuditEvent.Outcome.DENIED
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.PSYCHOTHERAPIST, Role.NURSE])
def test_only_a_physician_releases_a_summary(client, users, note, role):
    client.force_login(users[(role, "kyiv")])
    response = client.post(summary_url(note), {"text": SUMMARY, "action": "release"})
    assert response.status_code == 403
    assert not SessionSummary.objects.exists()


@pytest.mark.django_db
def test_a_physician_of_the_other_site_reaches_no_note(client, users, note):
    client.force_login(users[(Role.PHYSICIAN, "lviv")])
    response = client.post(summary_url(note), {"text": SUMMARY, "action": "release"})
    assert response.status_code == 404
    assert not SessionSummary.objects.exists()


def said(page: str, text: str) -> bool:
    """The page says `text` in either language (staff pages follow the user's language)."""
    return any(_in(language, text) in page for language in ("uk", "en"))


def _in(language, text):
    with translation.override(language):
        return translation.gettext(text)


@pytest.mark.django_db
def test_the_note_page_and_course_page_say_whether_a_summary_is_released(
    staff, frozen, patient, physician, course
):
    note = treatment.write_session_note(
        patient,
        kind="integration",
        held_on=timezone.localdate(),
        text=NOTE_TEXT,
        course=course,
        actor=physician,
    )
    note = records.sign_note(note, actor=physician)
    note_url = reverse("treatment:note", args=[note.public_id])
    course_url = reverse("treatment:course", args=[course.public_id])
    before = staff.get(note_url).content.decode()
    assert summary_url(note) in before
    assert said(before, "No summary of this session is released to the patient.")
    assert not said(staff.get(course_url).content.decode(), "summary released to the patient")
    services.write_summary(note, text=SUMMARY, actor=physician)
    services.release_summary(note, actor=physician)
    after = staff.get(note_url).content.decode()
    assert not said(after, "No summary of this session is released to the patient.")
    assert said(staff.get(course_url).content.decode(), "summary released to the patient")


@pytest.mark.django_db
def test_another_patients_summary_is_not_found(portal_client, frozen, kyiv, physician):
    other = make_patient(kyiv, "K-0002", phone="+380671234567")
    note = write_note(other, physician)
    services.write_summary(note, text=SUMMARY, actor=physician)
    summary = services.release_summary(note, actor=physician)
    response = portal_client.get(reverse("portal:summary_pdf", args=[summary.public_id]))
    assert response.status_code == 404
    assert "Ми говорили" not in portal_client.get(reverse("portal:documents")).content.decode()
