"""The nurse's preparation of a signed dose, the second person's check before the start, the
physician's re-authentication to sign, and the session record (issue 14, parts 2 and 7)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.conftest import authenticate_recently, make_user
from clinic.core.models import AuditEvent
from clinic.treatment import services
from clinic.treatment.models import DoseOrder, DosePreparation, InfusionSession
from clinic.treatment.tests.factories import (
    ketamine_in_safe,
    make_session,
    prepare_and_check,
    prepare_dose,
)

pytestmark = pytest.mark.django_db
Status = InfusionSession.Status


def url(session, step=""):
    base = f"/staff/treatment/infusions/{session.public_id}/"
    return base + (f"{step}/" if step else "")


@pytest.fixture
def dosed(course, chair, nurse, physician):
    """Pre-checked at 70 kg, 0.5 mg/kg over 40 min signed: 35 mg."""
    return make_session(course, chair, nurse=nurse, physician=physician, stage="dosed")


@pytest.fixture
def second_nurse(kyiv):
    return make_user("nurse2@test.clinic", roles=[Role.NURSE], sites=[kyiv])


# Services ------------------------------------------------------------------------------------


def test_the_preparation_stores_what_the_function_computed(dosed, nurse):
    prepared = prepare_dose(dosed, nurse=nurse)
    # 35 mg from 50 mg/ml made up to 100 ml: 0.7 ml, 0.35 mg/ml, 150 ml/h.
    assert (prepared.drug_volume_ml, prepared.total_volume_ml) == (Decimal("0.7"), 100)
    assert prepared.final_concentration_mg_per_ml == Decimal("0.35")
    assert prepared.rate_ml_per_h == Decimal("150.0")
    assert prepared.dose_given_mg == Decimal("35")
    assert prepared.strength_mg_per_ml == Decimal("50")
    assert prepared.prepared_by == nurse and not prepared.is_checked
    assert AuditEvent.objects.filter(action="infusion.preparation.recorded").count() == 1


def test_it_refuses_a_preparation_that_does_not_fit_its_method_and_writes_nothing(dosed, nurse):
    with pytest.raises(services.TreatmentRefused, match="no final volume"):
        prepare_dose(dosed, nurse=nurse, method="undiluted_syringe", final_volume_ml=Decimal(50))
    with pytest.raises(services.TreatmentRefused, match="smaller than"):
        services.record_dose_preparation(
            dosed,
            prepared=services.PreparationInput(
                holding=ketamine_in_safe(dosed.site),
                method="diluted_syringe",
                final_volume_ml=Decimal("0.5"),
            ),
            actor=nurse,
        )
    assert not DosePreparation.objects.exists()
    assert not AuditEvent.objects.filter(action="infusion.preparation.recorded").exists()


def test_it_refuses_a_rate_above_the_sites_maximum(course, chair, nurse, physician, kyiv):
    kyiv.treatment_settings.max_rate_mg_per_kg_per_min = Decimal("0.0100")
    kyiv.treatment_settings.save()
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="dosed")
    with pytest.raises(services.TreatmentRefused, match="above the site's maximum"):
        prepare_dose(session, nurse=nurse)
    assert not DosePreparation.objects.exists()


def test_a_dose_is_prepared_once_and_a_changed_dose_needs_a_new_preparation(
    dosed, nurse, physician
):
    prepare_dose(dosed, nurse=nurse)
    with pytest.raises(services.TreatmentRefused, match="already prepared"):
        prepare_dose(dosed, nurse=nurse)
    assert DosePreparation.objects.count() == 1
    services.sign_dose(
        dosed, mg_per_kg=Decimal("0.4"), minutes=40, reason="Дисоціація раніше", actor=physician
    )
    with pytest.raises(services.TreatmentRefused, match="prepared and checked"):
        services.start_infusion(dosed, actor=nurse)
    again = prepare_dose(dosed, nurse=nurse)
    assert again.dose == services.current_dose(dosed)
    assert again.dose_given_mg == Decimal("28")


def test_the_infusion_does_not_start_before_the_double_check(dosed, nurse):
    prepare_dose(dosed, nurse=nurse)
    with pytest.raises(services.TreatmentRefused, match="checked by a second person"):
        services.start_infusion(dosed, actor=nurse)
    dosed.refresh_from_db()
    assert dosed.status == Status.PRECHECKED and dosed.infusion_started_at is None
    assert not dosed.history.filter(status=Status.INFUSING).exists()


def test_the_preparer_cannot_check_their_own_preparation(dosed, nurse):
    prepared = prepare_dose(dosed, nurse=nurse)
    with pytest.raises(services.TreatmentRefused, match="second person"):
        services.check_dose_preparation(
            dosed,
            drug_volume_ml=prepared.drug_volume_ml,
            rate_ml_per_h=prepared.rate_ml_per_h,
            actor=nurse,
        )
    prepared.refresh_from_db()
    assert prepared.checked_by is None and prepared.checked_at is None


def test_the_check_refuses_values_that_do_not_match(dosed, nurse, second_nurse):
    prepared = prepare_dose(dosed, nurse=nurse)
    with pytest.raises(services.TreatmentRefused, match="does not match"):
        services.check_dose_preparation(
            dosed, drug_volume_ml=Decimal("7"), rate_ml_per_h=Decimal("150"), actor=second_nurse
        )
    prepared.refresh_from_db()
    assert not prepared.is_checked


def test_a_second_nurse_checks_and_the_infusion_starts(dosed, nurse, second_nurse):
    prepared = prepare_dose(dosed, nurse=nurse)
    services.check_dose_preparation(
        dosed, drug_volume_ml=Decimal("0.70"), rate_ml_per_h=Decimal("150"), actor=second_nurse
    )
    prepared.refresh_from_db()
    assert prepared.checked_by == second_nurse and prepared.checked_at is not None
    services.start_infusion(dosed, actor=nurse)
    dosed.refresh_from_db()
    assert dosed.status == Status.INFUSING


def test_the_amount_given_by_default_is_the_prepared_one(course, chair, nurse, physician):
    # 64.5 kg x 0.5 = 32.25 mg, signed as 32.3 mg; drawn 0.65 ml at 50 mg/ml = 32.5 mg, a
    # little more than signed (the syringe measures 0.01 ml), and that is what is recorded.
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    from clinic.treatment.tests.factories import precheck_input

    services.record_precheck(session, check=precheck_input(weight_kg=Decimal("64.5")), actor=nurse)
    services.sign_dose(session, mg_per_kg=Decimal("0.5"), minutes=40, actor=physician)
    prepare_and_check(session, nurse=nurse, checker=physician)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.start_infusion(session, actor=nurse)
        clock.shift(timedelta(minutes=40))  # the pump ran the signed 40 minutes
        services.end_infusion(session, actor=nurse)
    session.refresh_from_db()
    assert services.current_dose(session).dose_mg == Decimal("32.3")
    assert session.administered_mg == Decimal("32.5")


def test_an_old_order_with_a_concentration_still_reads(dosed, physician):
    # Orders signed before preparations carry the physician's concentration, volume and rate.
    order = DoseOrder.objects.create(
        session=dosed,
        mg_per_kg=Decimal("0.5"),
        weight_kg=Decimal("70"),
        dose_mg=Decimal("35"),
        concentration_mg_per_ml=Decimal("1.00"),
        volume_ml=Decimal("35"),
        rate_ml_per_h=Decimal("52.5"),
        minutes=40,
        replaces=services.current_dose(dosed),
        reason="legacy",
        signed_by=physician,
    )
    assert services.current_dose(dosed) == order
    assert order.concentration_mg_per_ml == Decimal("1.00")


# Views ---------------------------------------------------------------------------------------


def preparation_post(session, **overrides):
    data = {
        "holding": str(ketamine_in_safe(session.site).public_id),
        "method": "diluted_bag",
        "final_volume_ml": "100",
        "draw_step_ml": "",
    }
    data.update(overrides)
    return data


def test_the_page_shows_the_calculation_before_the_preparation_can_be_recorded(
    client, dosed, nurse
):
    ketamine_in_safe(dosed.site)
    client.force_login(nurse)
    page = client.get(url(dosed)).content.decode()
    assert 'name="calculate"' in page and 'name="record"' not in page
    data = preparation_post(dosed)
    response = client.post(url(dosed, "preparation"), {**data, "calculate": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="preview"' in page and 'name="record"' in page
    assert "150.0" in page and "0,35" in page  # ml/h; mg/ml in Ukrainian format
    assert not DosePreparation.objects.exists()
    # "record" sends back what was shown; the server recomputes and compares.
    shown = {"shown_drug_volume_ml": "0.70", "shown_rate_ml_per_h": "150.0"}
    response = client.post(url(dosed, "preparation"), {**data, **shown, "record": "1"})
    assert response.status_code == 302
    prepared = DosePreparation.objects.get()
    assert prepared.rate_ml_per_h == Decimal("150.0") and prepared.prepared_by == nurse


def test_recording_values_other_than_those_shown_is_refused(client, dosed, nurse):
    client.force_login(nurse)
    data = preparation_post(dosed, final_volume_ml="50")  # shown for 100 ml
    shown = {"shown_drug_volume_ml": "0.70", "shown_rate_ml_per_h": "150.0", "record": "1"}
    response = client.post(url(dosed, "preparation"), {**data, **shown})
    assert response.status_code == 400
    assert "75.0" in response.content.decode()  # the new calculation is shown instead
    assert not DosePreparation.objects.exists()


@pytest.mark.parametrize(
    ("method", "final_volume"),
    [("undiluted_syringe", "50"), ("diluted_syringe", ""), ("diluted_bag", "")],
)
def test_a_form_whose_method_does_not_match_its_values_cannot_be_saved(
    client, dosed, nurse, method, final_volume
):
    client.force_login(nurse)
    data = preparation_post(dosed, method=method, final_volume_ml=final_volume)
    for button in ("calculate", "record"):
        response = client.post(url(dosed, "preparation"), {**data, button: "1"})
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
        assert 'data-testid="preview"' not in response.content.decode()
    assert not DosePreparation.objects.exists()


def test_the_double_check_and_the_start_through_the_page(client, dosed, nurse, physician):
    prepare_dose(dosed, nurse=nurse)
    client.force_login(nurse)
    page = client.get(url(dosed)).content.decode()
    # The preparer is not offered the check of their own preparation.
    assert reverse("treatment:infusion_preparation_check", args=[dosed.public_id]) not in page
    assert 'data-testid="preparation"' in page
    assert reverse("treatment:infusion_start", args=[dosed.public_id]) not in page
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    client.post(url(dosed, "start"))
    dosed.refresh_from_db()
    assert dosed.status == Status.PRECHECKED
    refusal = AuditEvent.objects.filter(seq__gt=before, action="infusion.start.refused").get()
    assert refusal.outcome == "denied"
    client.force_login(physician)
    page = client.get(url(dosed)).content.decode()
    assert reverse("treatment:infusion_preparation_check", args=[dosed.public_id]) in page
    response = client.post(
        url(dosed, "preparation/check"), {"drug_volume_ml": "0.7", "rate_ml_per_h": "150"}
    )
    assert response.status_code == 302
    assert DosePreparation.objects.get().checked_by == physician
    client.post(url(dosed, "start"))
    dosed.refresh_from_db()
    assert dosed.status == Status.INFUSING


def test_signing_a_dose_with_a_stale_sign_in_asks_to_re_authenticate(
    client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="prechecked")
    client.force_login(physician)
    authenticate_recently(client, physician, seconds_ago=301)
    data = {"mg_per_kg": "0.5", "minutes": "40"}
    response = client.post(url(session, "dose"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not session.doses.exists()
    assert not AuditEvent.objects.filter(action="infusion.dose.signed").exists()
    # Re-entering the password resumes the suspended signature.
    client.post(response["Location"], {"password": "correct horse battery"})
    order = session.doses.get()
    assert (order.dose_mg, order.signed_by) == (Decimal("35.0"), physician)


def test_a_recent_sign_in_signs_at_once_without_a_concentration(
    client, course, chair, nurse, physician
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="prechecked")
    client.force_login(physician)
    authenticate_recently(client, physician)
    response = client.post(url(session, "dose"), {"mg_per_kg": "0.5", "minutes": "40"})
    assert response.status_code == 302
    order = session.doses.get()
    assert order.dose_mg == Decimal("35.0") and order.concentration_mg_per_ml is None


def test_the_session_record_shows_prescription_preparation_and_signatures(
    client, course, chair, nurse, physician, monkeypatch
):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    rendered = {}

    def capture(html):
        rendered["html"] = html
        return b"%PDF-1.7"

    monkeypatch.setattr("clinic.treatment.views.infusions.render_pdf", capture)
    client.force_login(nurse)
    response = client.get(url(session) + "record-en.pdf")
    assert response.status_code == 200
    html = rendered["html"]
    prepared = DosePreparation.objects.select_related("holding__lot").get()
    for text in (
        "Prescription",
        "<td>0.5</td>",  # mg/kg
        "<td>70</td>",  # weight
        "<td>35</td>",  # signed dose
        "Preparation",
        prepared.holding.lot.batch_number,
        "Diluted in an infusion bag",
        "<td>150</td>",  # ml/h
        "(0.35 mg/ml)",  # final concentration
        "Signatures",
        "Prescribed by",
        "Double-checked by",
        str(physician),
        str(nurse),
    ):
        assert text.casefold() in html.casefold(), text


def test_the_sites_maximum_rate_is_set_with_its_provenance_and_never_to_zero(client, users, kyiv):
    from clinic.treatment.forms import SETTINGS_FIELDS
    from clinic.treatment.models import TreatmentSettings
    from clinic.treatment.selectors import rules_for

    client.force_login(users[(Role.ADMINISTRATOR, "kyiv")])
    page = client.get("/staff/treatment/settings/kyiv/").content.decode()
    assert 'name="max_rate_mg_per_kg_per_min"' in page
    assert "0,019 мг/кг/хв" in page  # the provenance note, in Ukrainian
    current = rules_for(kyiv)
    data = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    data["fasting_required"] = "on" if data["fasting_required"] else ""
    data["max_rate_mg_per_kg_per_min"] = "0"
    assert client.post("/staff/treatment/settings/kyiv/", data).status_code == 200
    assert not TreatmentSettings.objects.exists()
    data["max_rate_mg_per_kg_per_min"] = "0.0150"
    assert client.post("/staff/treatment/settings/kyiv/", data).status_code == 302
    # A threshold change waits for a physician's co-signature, then applies.
    assert rules_for(kyiv).max_rate_mg_per_kg_per_min == Decimal("0.0190")
    from clinic.core.models import ProposedChange
    from clinic.treatment import services

    change = ProposedChange.objects.get(status=ProposedChange.Status.PENDING)
    services.co_sign_treatment_settings(change, actor=users[(Role.PHYSICIAN, "kyiv")])
    assert rules_for(kyiv).max_rate_mg_per_kg_per_min == Decimal("0.0150")
