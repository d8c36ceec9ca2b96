import pytest
from django.core.management import call_command
from django.utils import translation

from clinic.locations.models import Site
from clinic.treatment.models import InfusionSession, VitalAlert, VitalSigns
from clinic.treatment.selectors import board, infusions_awaiting_integration

pytestmark = pytest.mark.django_db


def test_the_demo_fills_both_boards_once(settings):
    settings.DEBUG = True
    with translation.override("uk"):  # load_demo matches rooms by their Ukrainian names
        call_command("load_demo", "--quiet-logins")
        counts = (InfusionSession.objects.count(), VitalSigns.objects.count())
        call_command("load_demo", "--quiet-logins")
    assert (InfusionSession.objects.count(), VitalSigns.objects.count()) == counts

    site_ids = list(Site.objects.values_list("pk", flat=True))
    rows = [row for _site, site_rows in board(site_ids) for row in site_rows]
    phases = {row.session.status for row in rows if row.session}
    assert {"infusing", "monitoring", "ready", "prechecked"} <= phases
    assert sum(row.overdue for row in rows) == 1
    assert sum(row.open_alerts for row in rows) == 1
    assert VitalAlert.objects.get().kind == "systolic_high"
    assert any(row.session is None for row in rows)  # a free chair
    assert infusions_awaiting_integration(site_ids).count() == 1
