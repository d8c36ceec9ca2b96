import pytest
from django.core.management import call_command
from django.utils import translation

from clinic.controlled_drugs.models import Kind, LedgerEntry
from clinic.locations.models import Site
from clinic.treatment import links
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


def test_the_demo_sessions_past_their_infusion_are_in_the_register(settings):
    settings.DEBUG = True
    with translation.override("uk"):
        call_command("load_demo", "--quiet-logins")
    closing = InfusionSession.objects.filter(status__in=("ready", "discharged"))
    assert {s.patient.record_number for s in closing} == {"K-0003", "L-0002"}
    for session in closing:
        administration = LedgerEntry.objects.get(
            kind=Kind.ADMINISTRATION, clinical_reference=session.public_id
        )
        assert (administration.patient, administration.site) == (session.patient, session.site)
        assert administration.administered_mg == session.administered_mg
        assert administration.recorded_at >= session.infusion_ended_at
        assert links.ampoule_unaccounted_mg(session) == 0
    # The session still under observation waits for the nurse to enter its ampoule.
    observed = InfusionSession.objects.get(status="monitoring")
    assert links.ampoule_unaccounted_mg(observed) == observed.administered_mg
