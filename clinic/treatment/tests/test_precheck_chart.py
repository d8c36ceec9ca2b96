"""The pre-check comes prefilled from the chart; entering something against the chart needs a
confirmation with a note, which is kept (issue 14, part 4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinic.core.models import AuditEvent
from clinic.formulary.models import Drug
from clinic.patients import services as record
from clinic.patients.tests.factories import make_intake
from clinic.treatment import services
from clinic.treatment.models import InfusionSession, InteractionRule, PreCheck
from clinic.treatment.tests.factories import make_session, precheck_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def charted(patient, physician):
    """A breastfeeding patient with an allergy, a benzodiazepine, a weight and a contact."""
    patient.sex = "female"
    patient.emergency_contact_name = "Ірина Мельник"
    patient.emergency_contact_phone = "+380501234567"
    patient.emergency_contact_relation = "сестра"
    patient.save()
    make_intake(patient, breastfeeding="exclusive", allergies="пеніцилін")
    record.record_weight(
        patient,
        weight_kg=Decimal("62.5"),
        measured_on=timezone.localdate() - timedelta(days=3),
        actor=physician,
    )
    record.add_medication(
        patient, drug=Drug.objects.get(code="diazepam"), started_on=None, actor=physician
    )
    return patient


@pytest.fixture
def checked_in(charted, course, chair, nurse, physician):
    return make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")


def _as_charted(**overrides):
    values = {
        "breastfeeding": PreCheck.Breastfeeding.YES,
        "allergies": "пеніцилін",
        "drugs": (InteractionRule.objects.get(code="benzodiazepines"),),
    }
    values.update(overrides)
    return precheck_input(**values)


def test_the_form_is_prefilled_from_the_chart(charted):
    initial = services.precheck_initial(charted)
    assert initial["breastfeeding"] == PreCheck.Breastfeeding.YES
    assert "pregnancy" not in initial  # not pregnant on the chart: the nurse asks
    assert initial["allergies"] == "пеніцилін"
    assert (initial["weight_kg"], initial["weight_measured_on"]) == (
        Decimal("62.5"),
        timezone.localdate() - timedelta(days=3),
    )
    assert (initial["escort_name"], initial["escort_phone"], initial["escort_relation"]) == (
        "Ірина Мельник",
        "+380501234567",
        "сестра",
    )
    assert initial["drugs"] == [InteractionRule.objects.get(code="benzodiazepines").pk]


def test_the_usual_escort_is_the_one_of_the_last_precheck(charted, course, chair, nurse, physician):
    first = make_session(course, chair, nurse=nurse, physician=physician, stage="checked_in")
    services.record_precheck(
        first,
        check=_as_charted(escort_name="Петро Коваленко", escort_relation="чоловік"),
        actor=nurse,
    )
    initial = services.precheck_initial(charted)
    assert (initial["escort_name"], initial["escort_relation"]) == ("Петро Коваленко", "чоловік")


def test_a_pregnancy_on_the_chart_is_prefilled(patient):
    make_intake(patient, pregnant=True)
    assert services.precheck_initial(patient)["pregnancy"] == PreCheck.Pregnancy.PREGNANT


def test_the_session_page_shows_the_prefilled_form(client, nurse, checked_in):
    client.force_login(nurse)
    page = client.get(f"/staff/treatment/infusions/{checked_in.public_id}/").content.decode()
    assert '<option value="yes" selected>' in page
    assert 'value="пеніцилін"' in page and 'value="Ірина Мельник"' in page
    assert 'value="62.5"' in page


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"breastfeeding": PreCheck.Breastfeeding.NO}, "breastfeeding"),
        ({"allergies": ""}, "allergies"),
        ({"drugs": ()}, "Diazepam"),
    ],
)
def test_a_difference_from_the_chart_is_refused_without_confirmation(
    checked_in, nurse, overrides, named
):
    before = AuditEvent.objects.count()
    with pytest.raises(services.TreatmentRefused, match=named):
        services.record_precheck(checked_in, check=_as_charted(**overrides), actor=nurse)
    assert not PreCheck.objects.exists()
    checked_in.refresh_from_db()
    assert checked_in.status == InfusionSession.Status.CHECKED_IN
    assert AuditEvent.objects.count() == before
    # A tick without a note is no confirmation.
    with pytest.raises(services.TreatmentRefused):
        services.record_precheck(
            checked_in,
            check=_as_charted(**overrides, chart_confirmed=True, chart_note=" "),
            actor=nurse,
        )
    assert not PreCheck.objects.exists()


def test_a_confirmed_difference_is_kept_on_the_precheck_and_shown(client, checked_in, nurse):
    precheck = services.record_precheck(
        checked_in,
        check=_as_charted(
            breastfeeding=PreCheck.Breastfeeding.NO,
            chart_confirmed=True,
            chart_note="Припинила годування 2 тижні тому",
        ),
        actor=nurse,
    )
    precheck.refresh_from_db()
    assert "breastfeeding" in precheck.chart_differences
    assert precheck.chart_confirmation_note == "Припинила годування 2 тижні тому"
    assert precheck.allergies == "пеніцилін"
    event = AuditEvent.objects.get(action="infusion.precheck.recorded")
    assert "breastfeeding" in event.reason
    client.force_login(nurse)
    page = client.get(f"/staff/treatment/infusions/{checked_in.public_id}/").content.decode()
    assert 'id="chart-differences"' in page and "Припинила годування" in page


def test_an_agreeing_precheck_keeps_no_difference(checked_in, nurse):
    precheck = services.record_precheck(
        checked_in, check=_as_charted(chart_note="ignored"), actor=nurse
    )
    assert (precheck.chart_differences, precheck.chart_confirmation_note) == ("", "")


def test_the_page_keeps_what_the_nurse_entered_when_the_chart_disagrees(client, checked_in, nurse):
    client.force_login(nurse)
    data = {
        "weight_kg": "62.5",
        "weight_measured_on": timezone.localdate().isoformat(),
        "systolic": "126",
        "diastolic": "80",
        "heart_rate": "72",
        "spo2": "98",
        "fasting_hours": "6",
        "escort_name": "Ірина Мельник",
        "escort_phone": "+380501234567",
        "pregnancy": "test_negative",
        "breastfeeding": "no",
        "allergies": "пеніцилін",
        "drugs": [str(InteractionRule.objects.get(code="benzodiazepines").pk)],
    }
    url = f"/staff/treatment/infusions/{checked_in.public_id}/precheck/"
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'value="126"' in response.content.decode()
    assert not PreCheck.objects.exists()
    response = client.post(url, {**data, "chart_confirmed": "on", "chart_note": "Не годує"})
    assert response.status_code == 302
    assert PreCheck.objects.get().chart_confirmation_note == "Не годує"
