"""Trusted people: the patient grants part of the portal to someone close, who signs in with
the same one-time codes, sees only what was granted (404 for the rest, nothing written), is
named in the audit trail and the patient's access log, and is signed out when the grant ends."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clinic.accounts.roles import Role
from clinic.assessments import services as assessments
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.policy import PORTAL
from clinic.core.tests.test_url_policy import all_patterns
from clinic.portal import messaging, services
from clinic.portal.access import ANYONE, PATIENT
from clinic.portal.models import PortalSession, SignInCode, TrustedPerson
from clinic.portal.tests.conftest import (
    TRUSTED_PHONE,
    grant,
    last_code,
    named_objects,
    trusted_sign_in,
)
from clinic.portal.tests.test_pages import stranger, written  # noqa: F401
from clinic.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def request_code(client, identifier, ip="10.0.0.7"):
    return client.post(reverse("portal:sign_in"), {"identifier": identifier}, REMOTE_ADDR=ip)


def enter_code(client, code, ip="10.0.0.7"):
    return client.post(reverse("portal:sign_in_code"), {"code": code}, REMOTE_ADDR=ip)


def nothing_written():
    return (
        *written(),
        TrustedPerson.objects.filter(revoked_at__isnull=False).count(),
        TrustedPerson.objects.count(),
        Appointment.objects.filter(status=Appointment.Status.CANCELLED).count(),
    )


def last_audit_row() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def audit_rows_since(pk: int) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(pk__gt=pk).order_by("pk")
    return list(rows.values_list("action", "outcome"))


def portal_urls():
    """Every portal URL pattern with the scope its view declares."""
    for name, pattern in all_patterns():
        if name.startswith("portal:"):
            yield name, pattern, getattr(pattern.callback, "portal_scope", None)


# --- granting ----------------------------------------------------------------------------------


def test_the_patient_grants_access_and_the_person_is_told(portal_client, account):
    response = portal_client.post(
        reverse("portal:trusted_people"),
        {
            "name": "Ірина Коваль",
            "relation": "parent",
            "contact": "050 999 00 11",
            "scopes": ["visits", "documents"],
            "expires_on": "2026-04-30",
        },
    )
    assert response.status_code == 302
    trusted = TrustedPerson.objects.get(patient=account.patient)
    assert trusted.contact == TRUSTED_PHONE
    assert trusted.scopes == {"visits", "documents"}
    assert trusted.expires_on == date(2026, 4, 30)
    message = OutboxMessage.objects.get(recipient=TRUSTED_PHONE)
    assert "/portal/sign-in/" in message.body
    assert not message.carries_secret
    assert AuditEvent.objects.filter(
        action="portal.trusted.granted", patient=account.patient, object_id=str(trusted.public_id)
    ).exists()
    page = portal_client.get(reverse("portal:trusted_people")).content.decode()
    assert "Ірина Коваль" in page and "upcoming visits and their preparation" in page.lower()


def test_only_the_fixed_scopes_can_be_granted(portal_client, account):
    before = nothing_written()
    response = portal_client.post(
        reverse("portal:trusted_people"),
        {"name": "X", "relation": "escort", "contact": TRUSTED_PHONE, "scopes": ["scores"]},
    )
    assert response.status_code == 200
    assert nothing_written() == before
    with pytest.raises(services.PortalRefused):
        grant(account, scopes=("scores", "export"))
    assert not TrustedPerson.objects.exists()


def test_the_patient_cannot_make_their_own_phone_a_trusted_person(account):
    with pytest.raises(services.PortalRefused):
        grant(account, contact="+380501112233")
    assert not TrustedPerson.objects.exists()


def test_moving_visits_includes_seeing_them(account):
    trusted = grant(account, scopes=("change_visits",))
    assert trusted.scopes == {"visits", "change_visits"}


# --- signing in ----------------------------------------------------------------------------------


def test_a_trusted_person_signs_in_with_a_code_and_sees_the_patients_visits(
    client, account, follow_up
):
    trusted = grant(account)
    assert request_code(client, "050 999 00 11").status_code == 302
    response = enter_code(client, last_code(TRUSTED_PHONE))
    assert response.status_code == 302 and response["Location"].endswith("/portal/")
    session = PortalSession.objects.get(trusted_person=trusted)
    assert session.account == account
    with translation.override("en"):
        page = client.get(reverse("portal:home")).content.decode()
    assert "You are viewing as a trusted person of" in page
    assert account.patient.full_name in page
    assert str(follow_up.public_id) in page
    assert 'href="tel:112"' in page
    # Only what was granted is offered in the menu.
    assert reverse("portal:progress") not in page
    assert reverse("portal:access_log") not in page
    assert AuditEvent.objects.filter(
        action="portal.trusted.signed_in", patient=account.patient
    ).exists()


def test_unknown_and_trusted_identifiers_get_the_same_answer(client, account):
    import re

    grant(account)
    other = Client()
    known = request_code(client, TRUSTED_PHONE)
    unknown = request_code(other, "+380509998877", ip="10.0.0.8")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]

    def page(c):
        html = c.get(known["Location"]).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert page(client) == page(other)
    assert SignInCode.objects.count() == 2
    assert OutboxMessage.objects.filter(recipient=TRUSTED_PHONE, carries_secret=True).count() == 1
    assert not OutboxMessage.objects.filter(recipient="+380509998877").exists()


def test_brute_force_on_a_trusted_persons_codes_is_stopped(client, account, settings):
    grant(account)
    request_code(client, TRUSTED_PHONE)
    code = last_code(TRUSTED_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [enter_code(client, wrong).status_code for _ in range(12)]
    assert statuses[-1] == 429
    assert enter_code(client, code, ip="10.9.9.9").status_code == 429
    assert not PortalSession.objects.exists()


def test_a_revoked_grant_gets_no_code_and_no_session(client, account):
    trusted = grant(account)
    services.revoke_trusted_person(trusted)
    request_code(client, TRUSTED_PHONE)
    assert not OutboxMessage.objects.filter(recipient=TRUSTED_PHONE, carries_secret=True).exists()
    row = SignInCode.objects.get()
    assert row.account is None
    assert not PortalSession.objects.exists()


def test_a_patient_who_is_also_a_trusted_person_chooses_whose_portal(
    client, account, kyiv, reception, follow_up
):
    from clinic.conftest import make_patient

    # The patient's mother is a patient of the centre too, and her own portal is open.
    mother = make_patient(kyiv, "K-0003", phone=TRUSTED_PHONE, given_name="Ірина")
    mothers_account = services.invite_patient(mother, actor=reception)
    trusted = grant(account)
    request_code(client, TRUSTED_PHONE)
    response = enter_code(client, last_code(TRUSTED_PHONE))
    assert response["Location"].endswith("/portal/whose/")
    with translation.override("en"):
        page = client.get(reverse("portal:choose")).content.decode()
    assert "My own portal" in page and account.patient.full_name in page
    # Her own portal first: no trusted-person banner.
    session = PortalSession.objects.get()
    assert session.account == mothers_account and session.trusted_person is None

    client.post(reverse("portal:choose"), {"portal": str(trusted.public_id)})
    session.refresh_from_db()
    assert session.account == account and session.trusted_person == trusted
    home = client.get(reverse("portal:home")).content.decode()
    assert str(follow_up.public_id) in home
    assert client.get(reverse("portal:progress")).status_code == 404

    client.post(reverse("portal:choose"), {"portal": "own"})
    session.refresh_from_db()
    assert session.account == mothers_account and session.trusted_person is None
    assert client.get(reverse("portal:progress")).status_code == 200


def test_a_portal_nobody_granted_cannot_be_switched_to(client, account, kyiv, reception):
    from clinic.conftest import make_patient

    other = make_patient(kyiv, "K-0004", phone="+380671112299")
    other_account = services.invite_patient(other, actor=reception)
    foreign = grant(other_account, contact="+380501231231")
    mine = grant(account)
    session = trusted_sign_in(client, mine)
    before = nothing_written()
    response = client.post(reverse("portal:choose"), {"portal": str(foreign.public_id)})
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.account == account and session.trusted_person == mine
    assert nothing_written() == before


# --- what a trusted person reaches ---------------------------------------------------------


@pytest.fixture
def own_objects(account, patient, follow_up, physician, kyiv, visit):  # noqa: F811
    """The patient's own objects, one for each id a portal URL can name."""
    named = named_objects(patient, site=kyiv, visit_types=visit, physician=physician)
    assessments.record_assessment(patient, "phq9", [2] * 8 + [0], actor=physician)
    services.release_scores(patient, actor=physician)
    thread = messaging.send_message(account, topic="administrative", text="Питання")
    return {
        **named,
        "thread_id": thread.public_id,
        "appointment_id": follow_up.public_id,
        "purpose": "treatment",
    }


def test_every_portal_url_declares_a_scope():
    undeclared = [
        name
        for name, pattern, scope in portal_urls()
        if scope is None and pattern.callback.access_policy.kind == PORTAL
    ]
    assert "portal:visit" not in undeclared and "portal:home" not in undeclared
    assert undeclared == [], "wrap portal views with access.patient_portal"


def test_a_trusted_person_without_the_scope_gets_404_and_nothing_is_written(
    client, account, policy, own_objects
):
    """The URL x role sweep for the trusted-person role, (a): every portal URL whose scope the
    grant lacks, with the patient's own ids, by GET and by POST."""
    trusted = grant(account, scopes=("visits",))
    other_grant = grant(account, contact="+380501231231", name="Other")
    trusted_sign_in(client, trusted)
    ids = {**own_objects, "grant_id": other_grant.public_id}
    checked = set()
    for name, pattern, scope in portal_urls():
        if scope in (ANYONE, "visits", None) or name in ("portal:sign_in", "portal:sign_in_code"):
            continue
        kwargs = {n: ids[n] for n in pattern.pattern.converters}
        url = reverse(name, kwargs=kwargs)
        before, last = nothing_written(), last_audit_row()
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"slot": "x", "reason": "x", "name": "x"}).status_code == 404, name
        # Nothing is written but the two denied attempts, kept in the audit trail.
        assert nothing_written()[1:] == before[1:], name
        assert audit_rows_since(last) == [("portal.trusted.denied", "denied")] * 2, name
        checked.add(name)
    # The visit page opens (visits granted) but moving from it does not (not granted).
    url = reverse("portal:visit", args=[own_objects["appointment_id"]])
    assert client.get(url).status_code == 200
    before, last = nothing_written(), last_audit_row()
    assert client.post(url, {"slot": "x"}).status_code == 404
    assert nothing_written()[1:] == before[1:]
    assert audit_rows_since(last) == [("portal.trusted.denied", "denied")]
    assert {
        "portal:progress",
        "portal:export_json",
        "portal:export_pdf",
        "portal:access_log",
        "portal:documents",
        "portal:cancel",
        "portal:questionnaire",
        "portal:consent_withdraw",
        "portal:trusted_people",
        "portal:trusted_revoke",
    } <= checked
    other_grant.refresh_from_db()
    assert other_grant.revoked_at is None


def test_a_trusted_person_reaches_no_other_patients_objects(
    client,
    account,
    policy,
    stranger,  # noqa: F811
    physician,
):
    """The URL x role sweep for the trusted-person role, (b): every scope granted, another
    patient's ids on every portal URL that names one."""
    trusted = grant(account, scopes=("visits", "change_visits", "documents"))
    other_patient = Appointment.objects.get(public_id=stranger["appointment_id"]).patient
    other_account = services.invite_patient(other_patient, actor=physician)
    others_grant = grant(other_account, contact="+380501231231")
    trusted_sign_in(client, trusted)
    ids = {**stranger, "grant_id": others_grant.public_id, "purpose": "treatment"}
    checked = 0
    for name, pattern, scope in portal_urls():
        names = set(pattern.pattern.converters)
        # Public pages (the e-mailed sign-in link) name no patient's object.
        if scope is None or not names or names == {"purpose"}:
            continue
        url = reverse(name, kwargs={n: ids[n] for n in names})
        before, last = nothing_written(), last_audit_row()
        got = client.get(url).status_code
        posted = client.post(url, {"slot": "x", "reason": "x"}).status_code
        assert got in (403, 404, 405), (name, got)
        assert posted in (403, 404), (name, posted)
        # Nothing written; a page outside the grant's scopes keeps its denied attempts.
        assert nothing_written()[1:] == before[1:], name
        assert set(audit_rows_since(last)) <= {("portal.trusted.denied", "denied")}
        checked += 1
    assert checked >= 6


def test_a_trusted_person_with_the_scope_cancels_and_is_named(client, account, policy, follow_up):
    trusted = grant(account, scopes=("change_visits",))
    trusted_sign_in(client, trusted)
    response = client.post(reverse("portal:cancel", args=[follow_up.public_id]), {"reason": ""})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == Appointment.Status.CANCELLED
    assert "Ірина Коваль" in follow_up.cancel_reason
    row = AuditEvent.objects.filter(action="portal.trusted.changed").get()
    assert row.patient == account.patient
    assert row.object_id == str(trusted.public_id)
    assert row.reason == "cancel"


def test_every_page_a_trusted_person_opens_is_audited_and_in_the_patients_log(
    client, account, follow_up
):
    trusted = grant(account, scopes=("visits", "documents"))
    trusted_sign_in(client, trusted)
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(reverse("portal:documents")).status_code == 200
    rows = AuditEvent.objects.filter(action="portal.trusted.viewed", patient=account.patient)
    assert sorted(rows.values_list("reason", flat=True)) == ["documents", "home"]
    assert set(rows.values_list("object_id", flat=True)) == {str(trusted.public_id)}

    patient_browser = Client()
    from clinic.portal.tests.conftest import sign_in

    sign_in(patient_browser, account)
    with translation.override("en"):
        log = patient_browser.get(reverse("portal:access_log")).content.decode()
    assert "Ірина Коваль" in log
    assert "your trusted person" in log
    assert "your documents" in log


def test_the_documents_of_a_trusted_person_hold_confirmations_only(client, account, follow_up):
    trusted = grant(account, scopes=("documents",))
    trusted_sign_in(client, trusted)
    page = client.get(reverse("portal:documents")).content.decode()
    assert follow_up.visit_type.name in page
    assert reverse("portal:export_json") not in page
    assert reverse("portal:access_log") not in page
    assert reverse("portal:visit", args=[follow_up.public_id]) not in page
    assert client.get(reverse("portal:visit", args=[follow_up.public_id])).status_code == 404


# --- ending a grant -----------------------------------------------------------------------------


def test_revoking_signs_the_trusted_person_out_at_once(client, portal_client, account):
    trusted = grant(account)
    trusted_browser = Client()
    session = trusted_sign_in(trusted_browser, trusted)
    assert trusted_browser.get(reverse("portal:home")).status_code == 200
    response = portal_client.post(reverse("portal:trusted_revoke", args=[trusted.public_id]))
    assert response.status_code == 302
    trusted.refresh_from_db()
    assert trusted.revoked_at is not None and trusted.revoked_by is None
    session.refresh_from_db()
    assert session.ended_at is not None
    response = trusted_browser.get(reverse("portal:home"))
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]
    assert AuditEvent.objects.filter(action="portal.trusted.revoked").exists()


def test_a_grant_ends_on_its_date(client, account, frozen):
    trusted = grant(account, expires_on=date(2026, 3, 3))
    trusted_sign_in(client, trusted)
    assert client.get(reverse("portal:home")).status_code == 200
    frozen.shift(timedelta(days=2))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]


def test_reception_sees_and_revokes_a_grant_on_the_chart(client, account, reception):
    trusted = grant(account)
    trusted_browser = Client()
    trusted_sign_in(trusted_browser, trusted)
    client.force_login(reception)
    chart = client.get(reverse("patients:chart", args=[account.patient.public_id]))
    assert "Ірина Коваль" in chart.content.decode()
    url = reverse(
        "portal_staff:revoke_trusted", args=[account.patient.public_id, trusted.public_id]
    )
    assert client.post(url).status_code == 302
    trusted.refresh_from_db()
    assert trusted.revoked_by == reception
    assert AuditEvent.objects.filter(action="portal.trusted.revoked", actor=reception).exists()
    assert trusted_browser.get(reverse("portal:home")).status_code == 302


def test_staff_without_the_role_cannot_revoke_a_grant(client, account, users):
    trusted = grant(account)
    client.force_login(users[(Role.NURSE, "kyiv")])
    url = reverse(
        "portal_staff:revoke_trusted", args=[account.patient.public_id, trusted.public_id]
    )
    assert client.post(url).status_code == 403
    trusted.refresh_from_db()
    assert trusted.revoked_at is None


def test_a_grant_of_another_patient_is_not_revoked_through_this_chart(
    client, account, reception, kyiv
):
    from clinic.conftest import make_patient

    other = make_patient(kyiv, "K-0005", phone="+380671119988")
    other_account = services.invite_patient(other, actor=reception)
    foreign = grant(other_account, contact="+380501231231")
    client.force_login(reception)
    url = reverse(
        "portal_staff:revoke_trusted", args=[account.patient.public_id, foreign.public_id]
    )
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_portal_pages_the_patient_alone_opens():
    scopes = {name: scope for name, _p, scope in portal_urls()}
    assert scopes["portal:trusted_people"] == scopes["portal:export_json"] == PATIENT
