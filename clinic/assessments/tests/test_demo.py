from io import StringIO

import pytest
from django.core.management import call_command

from clinic.assessments.models import Assessment, SafetyAlert, Schedule
from clinic.assessments.reports import outcome_rates
from clinic.assessments.selectors import settings_for
from clinic.locations.models import Site

pytestmark = pytest.mark.django_db


def test_the_demo_has_responders_a_non_responder_and_one_waiting_alert(settings):
    settings.DEBUG = True
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    counts = (Assessment.objects.count(), SafetyAlert.objects.count(), Schedule.objects.count())
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    assert (
        Assessment.objects.count(),
        SafetyAlert.objects.count(),
        Schedule.objects.count(),
    ) == counts
    assert SafetyAlert.objects.open().count() == 1
    assert SafetyAlert.objects.open().get().patient.record_number == "K-0003"
    rates = outcome_rates(
        "phq9",
        site_ids=list(Site.objects.values_list("pk", flat=True)),
        settings=settings_for("phq9"),
    )
    assert rates["overall"].count == 3
    assert rates["overall"].responders == 1 and rates["overall"].remitters == 1


def test_the_demo_pages_render_for_the_kyiv_physician(client, settings):
    from clinic.accounts.models import User
    from clinic.core.demo import demo_email
    from clinic.patients.models import Patient

    settings.DEBUG = True
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    client.force_login(User.objects.get(email=demo_email("physician", "kyiv")))
    for number in ("K-0001", "K-0002", "K-0003"):
        patient = Patient.objects.get(record_number=number)
        page = client.get(f"/staff/patients/{patient.public_id}/").content.decode()
        assert "trend-chart" in page
        assert (
            client.get(f"/staff/assessments/patients/{patient.public_id}/outcomes/").status_code
            == 200
        )
    alerts = client.get("/staff/assessments/alerts/").content.decode()
    assert "K-0003" in alerts
    assert client.get("/staff/assessments/outcomes/?code=madrs").status_code == 200
