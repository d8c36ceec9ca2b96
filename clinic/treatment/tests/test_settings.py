"""A site's ketamine thresholds change only with a physician's co-signature (issue 14)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently, make_user
from clinic.core.models import AuditEvent, ProposedChange
from clinic.treatment import services
from clinic.treatment.forms import SETTINGS_FIELDS
from clinic.treatment.models import TreatmentSettings
from clinic.treatment.selectors import rules_for

pytestmark = pytest.mark.django_db


def _values(site, **changes):
    current = rules_for(site)
    values = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    values.update(changes)
    return values


def _post_data(site, **changes):
    data = _values(site, **changes)
    data["fasting_required"] = "on" if data["fasting_required"] else ""
    return data


def test_an_administrators_change_does_not_take_effect_without_a_co_signature(users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_block_systolic=170, max_dose_mg=Decimal("80")), actor=admin
    )
    assert change.status == ProposedChange.Status.PENDING
    assert change.proposed_by == admin and change.proposed_at
    assert change.values == {"bp_block_systolic": "170", "max_dose_mg": "80"}
    assert change.previous == {"bp_block_systolic": "180", "max_dose_mg": "100"}
    rules = rules_for(kyiv)
    assert (rules.bp_block_systolic, rules.max_dose_mg) == (180, Decimal("100"))
    assert not TreatmentSettings.objects.exists()


def test_a_physicians_co_signature_puts_the_values_in_force(users, kyiv):
    admin, physician = users[(Role.ADMINISTRATOR, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_block_systolic=170, fasting_required=False), actor=admin
    )
    services.co_sign_treatment_settings(change, actor=physician)
    rules = rules_for(kyiv)
    assert rules.bp_block_systolic == 170 and rules.fasting_required is False
    change.refresh_from_db()
    assert change.status == ProposedChange.Status.APPLIED and change.decided_by == physician
    assert AuditEvent.objects.filter(action="treatment.settings.co_signed").count() == 1
    changed = AuditEvent.objects.get(action="treatment.settings.changed")
    assert changed.actor == physician and "bp_block_systolic" in changed.reason


def test_the_proposer_cannot_co_sign_their_own_change(users, kyiv):
    both = make_user(
        "director@test.clinic", roles=[Role.ADMINISTRATOR, Role.PHYSICIAN], sites=[kyiv]
    )
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=both
    )
    with pytest.raises(services.TreatmentRefused, match="cannot co-sign"):
        services.co_sign_treatment_settings(change, actor=both)
    change.refresh_from_db()
    assert change.status == ProposedChange.Status.PENDING
    assert rules_for(kyiv).bp_warn_systolic == 140
    assert not AuditEvent.objects.filter(action="treatment.settings.co_signed").exists()


@pytest.mark.parametrize(("role", "site"), [(Role.NURSE, "kyiv"), (Role.PHYSICIAN, "lviv")])
def test_only_a_physician_of_the_site_co_signs(users, kyiv, role, site):
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=users[(Role.ADMINISTRATOR, "kyiv")]
    )
    with pytest.raises(services.TreatmentRefused):
        services.co_sign_treatment_settings(change, actor=users[(role, site)])
    change.refresh_from_db()
    assert change.status == ProposedChange.Status.PENDING
    assert rules_for(kyiv).bp_warn_systolic == 140


def test_a_second_change_waits_for_the_first_to_be_decided(users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=admin
    )
    with pytest.raises(services.TreatmentRefused, match="already awaiting"):
        services.propose_treatment_settings(
            kyiv, values=_values(kyiv, bp_warn_diastolic=95), actor=admin
        )
    assert ProposedChange.objects.count() == 1


def test_a_rejected_change_never_takes_effect(users, kyiv):
    admin, physician = users[(Role.ADMINISTRATOR, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_block_systolic=200), actor=admin
    )
    with pytest.raises(services.TreatmentRefused):
        services.reject_treatment_settings(change, note="  ", actor=physician)
    services.reject_treatment_settings(change, note="Above the SmPC limit", actor=physician)
    change.refresh_from_db()
    assert change.status == ProposedChange.Status.REJECTED
    assert change.decision_note == "Above the SmPC limit"
    assert rules_for(kyiv).bp_block_systolic == 180
    with pytest.raises(services.TreatmentRefused, match="already been decided"):
        services.co_sign_treatment_settings(change, actor=physician)
    assert rules_for(kyiv).bp_block_systolic == 180


def test_the_settings_page_shows_the_pending_change_and_a_physician_co_signs_it(
    client, users, kyiv
):
    admin, physician = users[(Role.ADMINISTRATOR, "kyiv")], users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(admin)
    response = client.post(
        "/staff/treatment/settings/kyiv/", _post_data(kyiv, bp_warn_systolic=150)
    )
    assert response.status_code == 302
    page = client.get("/staff/treatment/settings/kyiv/").content.decode()
    assert 'id="pending-change"' in page and "co-sign/" not in page
    change = ProposedChange.objects.get()

    client.force_login(physician)
    authenticate_recently(client, physician)
    page = client.get("/staff/treatment/settings/kyiv/").content.decode()
    assert 'id="pending-change"' in page and f"{change.public_id}/co-sign/" in page
    assert client.post("/staff/treatment/settings/kyiv/", _post_data(kyiv)).status_code == 403
    response = client.post(f"/staff/treatment/settings/kyiv/changes/{change.public_id}/co-sign/")
    assert response.status_code == 302
    assert rules_for(kyiv).bp_warn_systolic == 150
    assert (
        'id="pending-change"' not in client.get("/staff/treatment/settings/kyiv/").content.decode()
    )


def test_a_nurse_cannot_reach_the_co_signature(client, users, kyiv):
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=users[(Role.ADMINISTRATOR, "kyiv")]
    )
    client.force_login(users[(Role.NURSE, "kyiv")])
    response = client.post(f"/staff/treatment/settings/kyiv/changes/{change.public_id}/co-sign/")
    assert response.status_code == 403
    assert rules_for(kyiv).bp_warn_systolic == 140


def test_co_signing_with_a_stale_sign_in_asks_to_re_authenticate_first(client, users, kyiv):
    physician = users[(Role.PHYSICIAN, "kyiv")]
    change = services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=users[(Role.ADMINISTRATOR, "kyiv")]
    )
    client.force_login(physician)
    authenticate_recently(client, physician, seconds_ago=301)
    response = client.post(f"/staff/treatment/settings/kyiv/changes/{change.public_id}/co-sign/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert rules_for(kyiv).bp_warn_systolic == 140
    assert ProposedChange.objects.get().status == "pending"
    assert not AuditEvent.objects.filter(action="treatment.settings.co_signed").exists()
    # Re-entering the password resumes the suspended co-signature.
    client.post(response["Location"], {"password": "correct horse battery"})
    assert rules_for(kyiv).bp_warn_systolic == 150


def test_another_sites_change_answers_404_before_any_re_authentication(client, users, lviv):
    change = services.propose_treatment_settings(
        lviv, values=_values(lviv, bp_warn_systolic=150), actor=users[(Role.ADMINISTRATOR, "lviv")]
    )
    physician = users[(Role.PHYSICIAN, "kyiv")]
    client.force_login(physician)
    authenticate_recently(client, physician, seconds_ago=301)
    response = client.post(f"/staff/treatment/settings/lviv/changes/{change.public_id}/co-sign/")
    assert response.status_code == 404
    assert ProposedChange.objects.get().status == "pending"


# The process settings: clinic policy, in force when saved -------------------------------------


def test_the_late_pump_entry_window_is_in_force_when_saved_without_a_co_signature(users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    saved = services.save_treatment_settings(
        kyiv, values=_values(kyiv, pump_late_entry_minutes=45), actor=admin
    )
    assert saved.applied == ("pump_late_entry_minutes",) and saved.proposal is None
    assert rules_for(kyiv).pump_late_entry_minutes == 45
    assert not ProposedChange.objects.exists()
    changed = AuditEvent.objects.get(action="treatment.settings.changed")
    assert changed.actor == admin and changed.reason == "pump_late_entry_minutes"


def test_a_save_with_a_clinical_change_applies_the_process_one_and_proposes_the_other(users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    saved = services.save_treatment_settings(
        kyiv, values=_values(kyiv, pump_late_entry_minutes=60, bp_warn_systolic=150), actor=admin
    )
    assert saved.proposal.values == {"bp_warn_systolic": "150"}
    rules = rules_for(kyiv)
    assert (rules.pump_late_entry_minutes, rules.bp_warn_systolic) == (60, 140)


def test_a_refused_save_writes_nothing_not_even_the_process_setting(users, kyiv):
    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    services.propose_treatment_settings(
        kyiv, values=_values(kyiv, bp_warn_systolic=150), actor=admin
    )
    with pytest.raises(services.TreatmentRefused):
        services.save_treatment_settings(
            kyiv,
            values=_values(kyiv, pump_late_entry_minutes=60, bp_warn_systolic=145),
            actor=admin,
        )
    assert rules_for(kyiv).pump_late_entry_minutes == 120
    assert not TreatmentSettings.objects.exists()
    assert ProposedChange.objects.count() == 1


@pytest.mark.parametrize("role", [Role.PHYSICIAN, Role.NURSE])
def test_only_an_administrator_saves_the_process_settings(users, kyiv, role):
    with pytest.raises(services.TreatmentRefused, match="Only an administrator"):
        services.save_treatment_settings(
            kyiv, values=_values(kyiv, pump_late_entry_minutes=30), actor=users[(role, "kyiv")]
        )
    assert not TreatmentSettings.objects.exists()


def test_the_settings_page_edits_the_late_pump_entry_window_with_its_provenance(
    client, users, kyiv
):
    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    page = client.get("/staff/treatment/settings/kyiv/").content.decode()
    assert 'name="pump_late_entry_minutes"' in page and "політика клініки" in page
    response = client.post(
        "/staff/treatment/settings/kyiv/", _post_data(kyiv, pump_late_entry_minutes=90)
    )
    assert response.status_code == 302
    assert rules_for(kyiv).pump_late_entry_minutes == 90
    assert not ProposedChange.objects.exists()
    response = client.post(
        "/staff/treatment/settings/kyiv/", _post_data(kyiv, pump_late_entry_minutes=0)
    )
    assert response.status_code == 200
    assert rules_for(kyiv).pump_late_entry_minutes == 90
