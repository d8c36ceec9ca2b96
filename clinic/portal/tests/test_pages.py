"""The portal's pages: another patient's ids reach nothing; due questionnaires, released
scores, consents, the data export, the staff access log and the staff actions behind them."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from clinic.assessments import services as assessments
from clinic.assessments.models import Assessment, SelfReportLink
from clinic.assessments.public_views import SESSION_KEY
from clinic.conftest import make_patient
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.patients import services as records
from clinic.patients.models import Consent
from clinic.portal.models import CareMessage, MessageThread, PortalAccount, ScoreRelease
from clinic.portal.tests.conftest import at, named_objects
from clinic.scheduling import services as scheduling
from clinic.scheduling.models import AppointmentEvent, WaitlistEntry


def portal_patterns():
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            for inner in entry.url_patterns:
                if isinstance(inner, URLResolver) and inner.namespace == "portal":
                    for pattern in inner.url_patterns:
                        if isinstance(pattern, URLPattern):
                            yield pattern


@pytest.fixture
def stranger(frozen, kyiv, clinic, visit, users, physician):
    """Another Kyiv patient with a visit, a waitlist entry, a consent and an open
    questionnaire: everything a portal URL could name by id."""
    other = make_patient(kyiv, "K-0002", family_name="Шевчук", phone="+380671234567")
    appointment = scheduling.book_appointment(
        other,
        visit_type=visit["follow_up"],
        site=kyiv,
        starts_at=at(6, 12),
        practitioner=physician,
        room=clinic["kyiv"]["consulting"],
        actor=physician,
    )
    thread = MessageThread.objects.create(patient=other, site=kyiv, topic="treatment")
    CareMessage.objects.create(thread=thread, text="Питання Шевчук")
    return {
        **named_objects(
            other, site=kyiv, visit_types=visit, physician=physician, summary="Підсумок для Шевчук"
        ),
        "thread_id": thread.public_id,
        "appointment_id": appointment.public_id,
    }


def written():
    return (
        AuditEvent.objects.count(),
        AppointmentEvent.objects.count(),
        Consent.objects.filter(withdrawn_at__isnull=False).count(),
        WaitlistEntry.objects.exclude(status="waiting").count(),
        SelfReportLink.objects.filter(opened_at__isnull=False).count(),
        CareMessage.objects.count(),
    )


@pytest.mark.django_db
def test_no_portal_url_reaches_another_patients_objects(portal_client, policy, stranger):
    checked = 0
    for pattern in portal_patterns():
        names = set(pattern.pattern.converters)
        if not names & set(stranger):
            continue
        url = reverse(f"portal:{pattern.name}", kwargs={n: stranger[n] for n in names})
        before = written()
        got = portal_client.get(url).status_code
        posted = portal_client.post(url, {"slot": "x", "reason": "x"}).status_code
        assert got in (403, 404, 405), (pattern.name, got)
        assert posted in (403, 404), (pattern.name, posted)
        assert written() == before, pattern.name
        checked += 1
    assert checked >= 6


@pytest.mark.django_db
def test_reception_invites_a_patient_with_a_link(client, patient, reception):
    client.force_login(reception)
    response = client.post(reverse("portal_staff:invite", args=[patient.public_id]))
    assert response.status_code == 302
    account = PortalAccount.objects.get(patient=patient)
    assert account.phone == "+380501112233"
    message = OutboxMessage.objects.get(recipient="+380501112233")
    assert "/portal/sign-in/" in message.body
    assert AuditEvent.objects.filter(action="portal.invited", actor=reception).exists()


@pytest.mark.django_db
def test_a_due_questionnaire_opens_the_self_report_flow(portal_client, patient, physician):
    link, _token = assessments.issue_self_report_link(patient, "phq9", actor=physician)
    home = portal_client.get(reverse("portal:home"))
    assert "PHQ-9" in home.content.decode()
    response = portal_client.post(reverse("portal:questionnaire", args=[link.assessment.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("selfreport:form")
    assert portal_client.session[SESSION_KEY] == link.pk
    page = portal_client.get(response["Location"])
    assert page.status_code == 200


@pytest.mark.django_db
def test_scores_show_only_once_a_clinician_releases_them(portal_client, patient, physician):
    assessments.record_assessment(patient, "phq9", [2] * 8 + [0], actor=physician)
    page = portal_client.get(reverse("portal:progress"))
    assert "<svg" not in page.content.decode()
    assert "has not shared your scores" in page.content.decode()

    staff = Client()
    staff.force_login(physician)
    staff.post(reverse("portal_staff:release_scores", args=[patient.public_id]), {"note": "Добре"})
    assert ScoreRelease.objects.filter(patient=patient, released_by=physician).exists()
    assert AuditEvent.objects.filter(action="portal.scores.released", actor=physician).exists()
    with translation.override("en"):  # the staff request switched this thread's language
        page = portal_client.get(reverse("portal:progress")).content.decode()
    assert "<svg" in page
    assert "lower is better" in page


@pytest.mark.django_db
def test_reception_cannot_release_scores(client, patient, reception, physician):
    assessments.record_assessment(patient, "phq9", [2] * 8 + [0], actor=physician)
    client.force_login(reception)
    response = client.post(reverse("portal_staff:release_scores", args=[patient.public_id]))
    assert response.status_code == 403
    assert not ScoreRelease.objects.exists()


@pytest.mark.django_db
def test_the_access_log_shows_staff_who_opened_the_record(portal_client, patient, physician):
    staff = Client()
    staff.force_login(physician)
    assert staff.get(reverse("patients:chart", args=[patient.public_id])).status_code == 200
    with translation.override("en"):  # the staff page switched this thread to Ukrainian
        page = portal_client.get(reverse("portal:access_log")).content.decode()
    assert physician.full_name in page
    assert "Physician" in page
    assert "your record (overview)" in page
    # The patient's own portal actions are not listed as staff access.
    assert "portal@clinic.invalid" not in page
    assert "Patient portal</td>" not in page


@pytest.mark.django_db
def test_the_patient_downloads_their_data(portal_client, patient):
    data = portal_client.get(reverse("portal:export_json"))
    assert data.status_code == 200
    assert data.json()["patient"]["record_number"] == "K-0001"
    pdf = portal_client.get(reverse("portal:export_pdf"))
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="portal.exported.json", patient=patient).exists()


@pytest.mark.django_db
def test_the_patient_signs_and_withdraws_a_consent(portal_client, patient, physician):
    records.publish_consent_wording(
        purpose="communications", text_uk="Повідомлення", text_en="Messages", actor=physician
    )
    portal_client.post(reverse("portal:consent_sign", args=["communications"]))
    consent = Consent.objects.get(patient=patient, purpose="communications")
    assert consent.channel == Consent.Channel.ELECTRONIC and consent.in_force
    portal_client.post(reverse("portal:consent_withdraw", args=[consent.public_id]))
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None


@pytest.mark.django_db
def test_every_portal_page_shows_the_crisis_line(portal_client):
    for name in ("home", "progress", "documents", "access_log"):
        page = portal_client.get(reverse(f"portal:{name}")).content.decode()
        assert 'href="tel:112"' in page, name


@pytest.mark.django_db
def test_an_unreleased_assessment_is_never_in_the_chart(portal_client, patient, physician):
    assessments.record_assessment(patient, "phq9", [1] * 8 + [0], actor=physician)
    ScoreRelease.objects.create(patient=patient, released_through=at(1, 9), released_by=physician)
    page = portal_client.get(reverse("portal:progress")).content.decode()
    assert "<svg" not in page
    assert Assessment.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db
def test_an_administrator_sets_the_sites_policy_with_its_provenance(client, users, visit, kyiv):
    from clinic.accounts.roles import Role
    from clinic.portal.models import PortalPolicy

    client.force_login(users[(Role.RECEPTIONIST, "kyiv")])
    assert client.get(reverse("portal_staff:policies")).status_code == 403
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    listing = client.get(reverse("portal_staff:policies"))
    assert reverse("portal_staff:policy", args=["kyiv"]) in listing.content.decode()
    response = client.post(
        reverse("portal_staff:policy", args=["kyiv"]),
        {
            "notice_hours": 48,
            "movable_visit_types": [visit["follow_up"].pk],
            "infusion_visit_types": [visit["ketamine_infusion"].pk],
            "min_days_between_infusions": 3,
            "search_days": 21,
            "reply_working_days": 3,
            "provenance": "Medical director, meeting of 1 March (UNCONFIRMED)",
        },
    )
    assert response.status_code == 302
    policy = PortalPolicy.objects.get(site=kyiv)
    assert policy.notice_hours == 48
    assert policy.reply_working_days == 3
    assert "UNCONFIRMED" in policy.provenance
    assert AuditEvent.objects.filter(action="portal.policy.changed", site=kyiv).exists()
