"""A Kyiv patient in an infusion course with a portal account, on the scheduling tests' clock
(Monday 2 March 2026, 08:00) and clinic (rooms, chairs, hours, visit types)."""

import re
import secrets
from datetime import date

import pytest
from django.conf import settings

from clinic.accounts.roles import Role
from clinic.assessments import services as assessments
from clinic.conftest import make_patient
from clinic.core.models import OutboxMessage
from clinic.core.records import sign_note
from clinic.courses.tests.factories import make_care_course
from clinic.patients import services as records
from clinic.portal import services
from clinic.portal.models import PortalSession
from clinic.scheduling import services as scheduling
from clinic.scheduling.tests.conftest import NOW, at, clinic, frozen, visit  # noqa: F401
from clinic.treatment import services as treatment

__all__ = ["NOW", "at"]


@pytest.fixture(autouse=True)
def english_messages():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def reception(users):
    return users[(Role.RECEPTIONIST, "kyiv")]


@pytest.fixture
def physician(users):
    return users[(Role.PHYSICIAN, "kyiv")]


@pytest.fixture
def policy(kyiv, visit, reception):  # noqa: F811
    return services.save_policy(
        kyiv,
        values={
            "notice_hours": 24,
            "movable_visit_types": [visit["follow_up"]],
            "infusion_visit_types": [visit["ketamine_infusion"]],
            "min_days_between_infusions": 2,
            "search_days": 14,
            "provenance": "Test policy (UNCONFIRMED)",
        },
        actor=reception,
    )


@pytest.fixture
def patient(kyiv):
    return make_patient(kyiv, "K-0001", phone="+380501112233")


@pytest.fixture
def account(frozen, patient, reception):  # noqa: F811
    return services.invite_patient(patient, actor=reception)


@pytest.fixture
def course(patient, physician):
    from decimal import Decimal

    course = make_care_course(
        patient, opened_days_ago=3, modality="monitoring", planned_sessions=6, physician=physician
    )
    # A ketamine course as approval leaves it (dose rule and consent on the course).
    course.modality = "iv_ketamine"
    course.target_dose_mg_per_kg = Decimal("0.5")
    course.infusion_minutes = 40
    course.ketamine_consent_confirmed = True
    course.save()
    return course


@pytest.fixture
def infusions(frozen, clinic, visit, course, patient, physician, users):  # noqa: F811
    """Two infusions of the course: Wednesday 4 and Monday 9 March at 10:00, chair 1."""
    chair = clinic["kyiv"]["chair1"]
    nurse = users[(Role.NURSE, "kyiv")]
    _series, booked = scheduling.book_series(
        patient,
        visit_type=visit["ketamine_infusion"],
        site=patient.home_site,
        occurrences=[(at(4, 10), nurse, chair), (at(9, 10), nurse, chair)],
        actor=physician,
        course=course,
    )
    return booked


@pytest.fixture
def follow_up(frozen, clinic, visit, patient, physician):  # noqa: F811
    return scheduling.book_appointment(
        patient,
        visit_type=visit["follow_up"],
        site=patient.home_site,
        starts_at=at(5, 12),
        practitioner=physician,
        room=clinic["kyiv"]["consulting"],
        actor=physician,
    )


def sign_in(client, account, *, shared_device=False) -> PortalSession:
    """A portal session for the account, as a successful code leaves it."""
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=services._key_hash(key), account=account, shared_device=shared_device
    )
    client.cookies[settings.PORTAL_SESSION_COOKIE] = key
    return session


@pytest.fixture
def portal_client(client, account):
    sign_in(client, account)
    return client


def last_code(recipient: str) -> str:
    message = OutboxMessage.objects.filter(recipient=recipient).order_by("-pk").first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


TRUSTED_PHONE = "+380509990011"


def grant(account, *, scopes=("visits",), contact=TRUSTED_PHONE, **extra):
    """A trusted person of the account's patient, granted as the portal grants it."""
    return services.grant_trusted_person(
        account,
        name=extra.pop("name", "Ірина Коваль"),
        relation=extra.pop("relation", "escort"),
        contact=contact,
        scopes=scopes,
        **extra,
    )


def trusted_sign_in(client, trusted) -> PortalSession:
    """A portal session of a trusted person, as a successful code leaves it."""
    key = secrets.token_urlsafe(32)
    session = PortalSession.objects.create(
        key_hash=services._key_hash(key),
        account=trusted.patient.portal_account,
        trusted_person=trusted,
        identifier_hash=trusted.identifier_hash,
    )
    client.cookies[settings.PORTAL_SESSION_COOKIE] = key
    return session


def named_objects(patient, *, site, visit_types, physician, summary="Підсумок") -> dict:
    """One of each object of the patient's that a portal URL names by id (besides visits and
    message threads): a waitlist entry, a consent, an open questionnaire and a released
    session summary. Keyed by the URLs' argument names."""
    entry = scheduling.add_to_waitlist(
        patient,
        visit_type=visit_types["follow_up"],
        site=site,
        earliest_on=date(2026, 3, 2),
        latest_on=date(2026, 3, 20),
        actor=physician,
    )
    records.publish_consent_wording(
        purpose="treatment", text_uk="Згода", text_en="Consent", actor=physician
    )
    consent = records.record_consent(
        patient,
        purpose="treatment",
        given=True,
        channel="paper",
        given_at=at(2, 7),
        actor=physician,
    )
    link, _token = assessments.issue_self_report_link(patient, "phq9", actor=physician)
    note = treatment.write_session_note(
        patient, kind="integration", held_on=date(2026, 3, 2), text="Нотатка", actor=physician
    )
    note = sign_note(note, actor=physician)
    services.write_summary(note, text=summary, actor=physician)
    released = services.release_summary(note, actor=physician)
    return {
        "summary_id": released.public_id,
        "entry_id": entry.public_id,
        "consent_id": consent.public_id,
        "assessment_id": link.assessment.public_id,
    }
