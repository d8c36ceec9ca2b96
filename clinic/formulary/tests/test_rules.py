from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently
from clinic.core.models import AuditEvent, ProposedChange
from clinic.formulary import services
from clinic.formulary.models import AdequacyRules, Drug, MinimumDose
from clinic.formulary.selectors import adequacy_rules
from clinic.patients import selectors
from clinic.patients.tests.factories import make_intake, make_registered, make_trial

pytestmark = pytest.mark.django_db


def test_the_shipped_table_covers_every_antidepressant_and_is_unconfirmed():
    antidepressants = Drug.objects.antidepressants()
    assert antidepressants.count() == MinimumDose.objects.count() >= 27
    assert MinimumDose.objects.get(drug__code="sertraline").daily_mg == Decimal(50)
    assert MinimumDose.objects.get(drug__code="moclobemide").daily_mg is None
    assert all(
        "R9" in d.provenance or "domain.md" in d.provenance for d in MinimumDose.objects.all()
    )
    rules = adequacy_rules()
    assert (rules.min_weeks, rules.failure_below_pct, rules.is_confirmed) == (6, 25, False)


def test_every_mao_inhibitor_interacts_with_ketamine():
    assert all(d.ketamine_interaction == "maoi" for d in Drug.objects.filter(drug_class="maoi"))


def test_the_rules_page_shows_the_unconfirmed_state(admin_client):
    page = admin_client.get("/staff/formulary/").content.decode()
    assert 'id="unconfirmed"' in page


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.NURSE, Role.RECEPTIONIST])
def test_only_administrators_edit_the_table(client, users, role):
    client.force_login(users[(role, "kyiv")])
    response = client.post(
        "/staff/formulary/doses/sertraline/", {"daily_mg": "10", "provenance": "x"}
    )
    assert response.status_code == 403
    assert MinimumDose.objects.get(drug__code="sertraline").daily_mg == 50


def test_an_administrator_changes_a_dose_and_the_assessment_follows(admin_client, users, kyiv):
    patient = make_registered(kyiv)
    make_intake(patient)
    make_trial(patient, "sertraline", dose=75)
    make_trial(patient, "venlafaxine", dose=150)
    assert selectors.trd_picture(patient).status.value == "yes"
    response = admin_client.post(
        "/staff/formulary/doses/sertraline/",
        {"daily_mg": "100", "provenance": "Протокол центру 2026"},
    )
    assert response.status_code == 302
    # Not in force before a physician co-signs it.
    selectors.forget(patient)
    assert selectors.trd_picture(patient).status.value == "yes"
    assert MinimumDose.objects.get(drug__code="sertraline").daily_mg == 50
    change = ProposedChange.objects.get(status="pending")
    services.co_sign_formulary_change(change, actor=users[(Role.PHYSICIAN, "kyiv")])
    selectors.forget(patient)
    picture = selectors.trd_picture(patient)
    assert picture.status.value == "no" and picture.pseudo.possible
    assert AuditEvent.objects.filter(action="formulary.minimum_dose.changed").count() == 1


def test_a_bad_dose_is_refused_and_nothing_changes(admin_client):
    for value in ("-1", "0", "1e30", "abc"):
        response = admin_client.post(
            "/staff/formulary/doses/sertraline/", {"daily_mg": value, "provenance": "x"}
        )
        assert response.status_code == 200
    assert MinimumDose.objects.get(drug__code="sertraline").daily_mg == 50


def test_an_administrator_alone_cannot_sign_off(admin_client):
    admin_client.post("/staff/formulary/sign-off/")
    assert not AdequacyRules.objects.get().is_confirmed


def test_a_physician_administrator_signs_off_and_a_later_change_clears_it(
    client, kyiv, staff_factory
):
    director = staff_factory(
        "director@test.clinic", roles=[Role.ADMINISTRATOR, Role.PHYSICIAN], sites=[kyiv]
    )
    client.force_login(director)
    client.post("/staff/formulary/sign-off/")
    rules = AdequacyRules.objects.get()
    assert rules.is_confirmed and rules.signed_off_by == director
    assert "Затвердив" in client.get("/staff/formulary/").content.decode()
    client.post(
        "/staff/formulary/",
        {"min_weeks": "4", "early_stop_weeks": "4", "failure_below_pct": "50"},
    )
    rules.refresh_from_db()
    assert (rules.min_weeks, rules.failure_below_pct, rules.is_confirmed) == (6, 25, True)
    change = ProposedChange.objects.get(status="pending")
    with pytest.raises(services.RulesRefused):
        services.co_sign_formulary_change(change, actor=director)
    physician = staff_factory("physician@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv])
    services.co_sign_formulary_change(change, actor=physician)
    rules.refresh_from_db()
    assert (rules.min_weeks, rules.failure_below_pct, rules.is_confirmed) == (4, 50, False)


def test_rules_outside_their_range_are_refused(admin_client):
    for data in (
        {"min_weeks": "2", "early_stop_weeks": "1", "failure_below_pct": "25"},
        {"min_weeks": "6", "early_stop_weeks": "8", "failure_below_pct": "25"},
        {"min_weeks": "6", "early_stop_weeks": "4", "failure_below_pct": "33"},
    ):
        admin_client.post("/staff/formulary/", data)
    rules = AdequacyRules.objects.get()
    assert (rules.min_weeks, rules.early_stop_weeks, rules.failure_below_pct) == (6, 4, 25)


def test_the_service_refuses_early_stop_after_the_minimum(users):
    with pytest.raises(services.RulesRefused):
        services.propose_adequacy_rules(
            min_weeks=4,
            early_stop_weeks=6,
            failure_below_pct=25,
            actor=users[(Role.ADMINISTRATOR, "kyiv")],
        )


def test_a_refused_sign_off_is_shown_audited_once_and_writes_nothing(admin_client, users):
    from django.contrib.messages import get_messages

    admin_client.cookies["django_language"] = "en"
    before = AuditEvent.objects.count()
    response = admin_client.post("/staff/formulary/sign-off/")
    assert response.status_code == 302
    assert not AdequacyRules.objects.get().is_confirmed
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.get(outcome=AuditEvent.Outcome.DENIED)
    assert refusal.action == "formulary.refused"
    assert refusal.actor == users[(Role.ADMINISTRATOR, "kyiv")]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [refusal.reason]


def test_a_dose_change_without_a_physicians_co_signature_does_not_take_effect(users):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    dose = MinimumDose.objects.get(drug__code="phenelzine")
    change = services.propose_minimum_dose(
        dose, daily_mg=Decimal("60"), provenance="Clinic protocol", actor=admin
    )
    assert MinimumDose.objects.get(pk=dose.pk).daily_mg == Decimal("45")
    assert change.values == {"daily_mg": "60", "provenance": "Clinic protocol"}
    with pytest.raises(services.RulesRefused):
        services.co_sign_formulary_change(change, actor=users[(Role.NURSE, "kyiv")])
    with pytest.raises(services.RulesRefused):
        services.co_sign_formulary_change(change, actor=admin)
    assert MinimumDose.objects.get(pk=dose.pk).daily_mg == Decimal("45")
    services.reject_formulary_change(
        change, note="No source for 60", actor=users[(Role.PHYSICIAN, "lviv")]
    )
    assert MinimumDose.objects.get(pk=dose.pk).daily_mg == Decimal("45")
    assert not AuditEvent.objects.filter(action="formulary.minimum_dose.changed").exists()


def test_a_physician_sees_pending_changes_and_co_signs_on_the_page(client, admin_client, users):
    admin_client.post(
        "/staff/formulary/doses/phenelzine/", {"daily_mg": "60", "provenance": "Clinic protocol"}
    )
    change = ProposedChange.objects.get(status="pending")
    assert (
        f"{change.public_id}/co-sign/" not in admin_client.get("/staff/formulary/").content.decode()
    )
    client.force_login(users[(Role.PHYSICIAN, "kyiv")])
    authenticate_recently(client, users[(Role.PHYSICIAN, "kyiv")])
    page = client.get("/staff/formulary/").content.decode()
    assert 'id="pending-changes"' in page and f"{change.public_id}/co-sign/" in page
    response = client.post(f"/staff/formulary/changes/{change.public_id}/co-sign/")
    assert response.status_code == 302
    assert MinimumDose.objects.get(drug__code="phenelzine").daily_mg == Decimal("60")


def test_co_signing_with_a_stale_sign_in_asks_to_re_authenticate_first(client, admin_client, users):
    admin_client.post(
        "/staff/formulary/doses/phenelzine/", {"daily_mg": "60", "provenance": "Clinic protocol"}
    )
    change = ProposedChange.objects.get(status="pending")
    physician = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(physician)
    authenticate_recently(client, physician, seconds_ago=301)
    response = client.post(f"/staff/formulary/changes/{change.public_id}/co-sign/")
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert MinimumDose.objects.get(drug__code="phenelzine").daily_mg != Decimal("60")
    assert ProposedChange.objects.get(pk=change.pk).status == "pending"
    client.post(response["Location"], {"password": "correct horse battery"})
    assert MinimumDose.objects.get(drug__code="phenelzine").daily_mg == Decimal("60")
