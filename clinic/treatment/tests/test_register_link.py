"""An infusion's ketamine in the controlled-drug register: recorded from the session's page,
witnessed residue, and the session's given amount equal to what the register holds."""

from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from clinic.accounts.roles import Role
from clinic.conftest import current_totp_code, make_patient, make_user
from clinic.controlled_drugs.models import Kind, LedgerEntry
from clinic.core.models import AuditEvent
from clinic.treatment import links, services
from clinic.treatment.models import InfusionSession
from clinic.treatment.tests.factories import (
    ketamine_in_safe,
    make_chair,
    make_course,
    make_session,
)

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def monitoring(course, chair, nurse, physician):
    """After the infusion: 35 mg signed and given (70 kg x 0.5 mg/kg)."""
    return make_session(course, chair, nurse=nurse, physician=physician, stage="monitoring")


@pytest.fixture
def holding(kyiv, users):
    return ketamine_in_safe(kyiv)


def register_rows():
    return LedgerEntry.objects.exclude(kind=Kind.RECEIPT)


def test_recording_the_administration_writes_the_register_and_the_session_amount(
    monitoring, holding, nurse, physician
):
    administration = services.record_ketamine_administration(
        monitoring,
        holding=holding,
        drawn_mg=Decimal("100"),
        administered_mg=Decimal("35"),
        witness=physician,
        act_number="ЗЛ-1",
        actor=nurse,
    )
    assert administration.clinical_reference == monitoring.public_id
    assert (administration.patient, administration.prescribed_by) == (
        monitoring.patient,
        physician,  # who signed the dose
    )
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert (residue.administration, residue.quantity_mg, residue.witness) == (
        administration,
        Decimal("65"),
        physician,
    )
    monitoring.refresh_from_db()
    assert (
        monitoring.administered_mg == Decimal("35") == links.registered_administered_mg(monitoring)
    )
    assert links.ampoule_unaccounted_mg(monitoring) == 0
    assert AuditEvent.objects.filter(action="infusion.administration.recorded").count() == 1


def test_the_administered_amount_defaults_to_what_the_session_gave(
    monitoring, holding, nurse, physician
):
    administration = services.record_ketamine_administration(
        monitoring, holding=holding, drawn_mg=Decimal("100"), witness=physician, actor=nurse
    )
    assert administration.administered_mg == Decimal("35")


def test_another_amount_than_the_session_gave_is_refused_and_nothing_written(
    monitoring, holding, nurse, physician
):
    with pytest.raises(services.TreatmentRefused, match="records what the session gave: 35"):
        services.record_ketamine_administration(
            monitoring,
            holding=holding,
            drawn_mg=Decimal("100"),
            administered_mg=Decimal("30"),
            witness=physician,
            actor=nurse,
        )
    assert not register_rows().exists()
    assert InfusionSession.objects.get(pk=monitoring.pk).administered_mg == Decimal("35")


def test_a_part_of_a_single_use_ampoule_never_leaves_the_safe(monitoring, holding, nurse):
    with pytest.raises(services.TreatmentRefused, match="single-use ampoules of 100 mg"):
        services.record_ketamine_administration(
            monitoring, holding=holding, drawn_mg=Decimal("35"), actor=nurse
        )
    assert not register_rows().exists()
    holding.refresh_from_db()
    assert holding.balance_mg == Decimal("500") and holding.units_label == "5 ampoules (500 mg)"


def test_it_refuses_residue_without_a_witness_and_writes_neither_entry(monitoring, holding, nurse):
    with pytest.raises(services.TreatmentRefused, match="needs a witness"):
        services.record_ketamine_administration(
            monitoring, holding=holding, drawn_mg=Decimal("100"), actor=nurse
        )
    assert not register_rows().exists()
    holding.refresh_from_db()
    assert holding.balance_mg == Decimal("500")


def test_it_refuses_before_the_infusion_has_ended(course, chair, nurse, physician, holding):
    session = make_session(course, chair, nurse=nurse, physician=physician, stage="infusing")
    with pytest.raises(services.TreatmentRefused, match="ended or been stopped"):
        services.record_ketamine_administration(
            session, holding=holding, drawn_mg=Decimal("100"), witness=physician, actor=nurse
        )
    assert not register_rows().exists()


def test_it_refuses_a_second_administration_for_the_session(monitoring, holding, nurse, physician):
    services.record_ketamine_administration(
        monitoring, holding=holding, drawn_mg=Decimal("100"), witness=physician, actor=nurse
    )
    count = LedgerEntry.objects.count()
    with pytest.raises(services.TreatmentRefused, match="already in the register"):
        services.record_ketamine_administration(
            monitoring, holding=holding, drawn_mg=Decimal("100"), witness=physician, actor=nurse
        )
    assert LedgerEntry.objects.count() == count


@pytest.mark.parametrize(
    ("drawn", "given", "message"),
    [
        ("100", "36", "records what the session gave"),  # more than the 35 mg given
        ("30", "30", "single-use ampoules"),  # a part of an ampoule
        ("600", "35", "Only 500.000 mg of lot"),  # more than the lot holds
    ],
)
def test_it_refuses_impossible_amounts_and_writes_nothing(
    monitoring, holding, nurse, physician, drawn, given, message
):
    with pytest.raises(services.TreatmentRefused, match=message):
        services.record_ketamine_administration(
            monitoring,
            holding=holding,
            drawn_mg=Decimal(drawn),
            administered_mg=Decimal(given),
            witness=physician,
            actor=nurse,
        )
    assert not register_rows().exists()
    assert InfusionSession.objects.get(pk=monitoring.pk).administered_mg == Decimal("35")


def test_it_refuses_a_lot_of_another_site(monitoring, lviv, nurse, physician):
    other = ketamine_in_safe(lviv)
    with pytest.raises(services.TreatmentRefused, match="kept at this site"):
        services.record_ketamine_administration(
            monitoring, holding=other, drawn_mg=Decimal("100"), witness=physician, actor=nurse
        )
    assert not register_rows().exists()


# The session page ---------------------------------------------------------------------------


@pytest.fixture
def witness(kyiv):
    user = make_user("witness@test.clinic", roles=[Role.PHYSICIAN], sites=[kyiv], totp=False)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def page(client, session):
    return client.get(f"/staff/treatment/infusions/{session.public_id}/")


def post(client, session, data):
    return client.post(f"/staff/treatment/infusions/{session.public_id}/administration/", data)


def form_data(holding_, witness=None, code=None, **overrides):
    data = {
        "holding": holding_.pk,
        "drawn_mg": "100",
        "administered_mg": "35",
        "act_number": "ЗЛ-7",
        "note": "",
    }
    if witness is not None:
        user, secret = witness
        data.update(
            witness_email=user.email,
            witness_password=PASSWORD,
            witness_code=code or current_totp_code(secret),
        )
    data.update(overrides)
    return data


def test_the_page_shows_the_whole_dose_unaccounted_and_the_form(client, monitoring, holding, nurse):
    client.force_login(nurse)
    html = page(client, monitoring).content.decode()
    assert 'data-testid="unaccounted"' in html and "35 " in html
    assert "/administration/" in html and holding.lot.batch_number in html
    assert 'name="administered_mg"' in html and 'value="35"' in html


def test_a_nurse_records_the_administration_with_a_witness_from_the_page(
    client, monitoring, holding, nurse, witness
):
    client.force_login(nurse)
    response = post(client, monitoring, form_data(holding, witness))
    assert response.status_code == 302
    administration = LedgerEntry.objects.get(kind=Kind.ADMINISTRATION)
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION)
    assert residue.witness == witness[0] and residue.document_number == "ЗЛ-7"
    html = page(client, monitoring).content.decode()
    assert f"/staff/drugs/entries/{administration.public_id}/" in html
    assert f"/staff/drugs/entries/{residue.public_id}/" in html
    assert "/administration/" not in html  # recorded once; the form is gone
    assert links.ampoule_unaccounted_mg(monitoring) == 0


def test_a_wrong_witness_code_writes_nothing_and_says_why(
    client, monitoring, holding, nurse, witness
):
    client.force_login(nurse)
    response = post(client, monitoring, form_data(holding, witness, code="000000"))
    assert response.status_code == 400
    assert not register_rows().exists()
    assert AuditEvent.objects.filter(action="drugs.witness.refused").exists()
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"drawn_mg": "1e400"},
        {"drawn_mg": "10\x00"},
        {"administered_mg": "-5"},
        {"holding": "999999"},
        {"drawn_mg": "100", "administered_mg": "35", "witness_email": ""},
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(
    client, monitoring, holding, nurse, overrides
):
    client.force_login(nurse)
    response = post(client, monitoring, form_data(holding, **overrides))
    assert response.status_code == 400
    assert not register_rows().exists()


def test_another_sites_session_answers_404(client, monitoring, holding, users):
    client.force_login(users[(Role.NURSE, "lviv")])
    assert post(client, monitoring, form_data(holding)).status_code == 404
    assert not register_rows().exists()


def test_the_session_page_query_count_does_not_grow_with_register_entries(
    client, kyiv, nurse, physician, holding, django_assert_max_num_queries
):
    client.force_login(nurse)
    session = make_session(
        make_course(make_patient(kyiv, "K-0200"), physician),
        make_chair(kyiv, "Крісло 9"),
        nurse=nurse,
        physician=physician,
        stage="accounted",
    )
    with django_assert_max_num_queries(80) as small:
        page(client, session)
    # A reversal and a second administration add entries to the session's register section.
    from clinic.controlled_drugs import services as register

    first = LedgerEntry.objects.get(kind=Kind.ADMINISTRATION, clinical_reference=session.public_id)
    officer = make_user("officer2@test.clinic", roles=[Role.DRUG_OFFICER], sites=[kyiv])
    residue = LedgerEntry.objects.get(kind=Kind.RESIDUE_DESTRUCTION, administration=first)
    register.reverse_entry(residue, reason="Помилка набору", actor=officer, witness=physician)
    register.reverse_entry(first, reason="Помилка набору", actor=officer, witness=physician)
    register.record_administration(
        lot=holding.lot,
        patient=session.patient,
        drawn_mg=Decimal("100"),
        administered_mg=Decimal("35"),
        clinical_reference=session.public_id,
        actor=nurse,
    )
    assert LedgerEntry.objects.filter(kind=Kind.REVERSAL).exists()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = page(client, session)
    assert response.content.decode().count("/staff/drugs/entries/") == 5
