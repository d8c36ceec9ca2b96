from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clinic.accounts.models import User
from clinic.core.audit import verify_chains
from clinic.core.demo import DEMO_PASSWORD, demo_email
from clinic.inquiries.models import Inquiry
from clinic.locations.models import OpeningHours, Room, Site
from clinic.patients.models import Patient
from clinic.portal.models import SessionSummary


@pytest.mark.django_db
def test_load_demo_builds_the_two_sites_and_is_idempotent(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", "--quiet-logins", stdout=StringIO())
    assert sorted(Site.objects.values_list("code", flat=True)) == ["kyiv", "lviv"]
    kyiv = Site.objects.get(code="kyiv")
    assert kyiv.name_en == "Kyiv" and kyiv.name_uk == "Київ"
    assert str(kyiv.phone) == "+380737308088"
    assert kyiv.address_uk == "вул. Демонстраційна, 1 (демо)" and "(demo)" in kyiv.address_en
    assert (kyiv.locality_en, kyiv.postal_code) == ("Kyiv", "01001")
    hours = OpeningHours.objects.filter(site=kyiv)
    assert sorted(h.weekday for h in hours) == [1, 2, 3, 4, 5]
    assert {(h.opens.hour, h.closes.hour) for h in hours} == {(10, 19)}
    assert set(Room.objects.filter(site=kyiv).values_list("kind", flat=True)) == {
        "consulting",
        "infusion_chair",
        "tes",
    }
    nurse = User.objects.get(email=demo_email("nurse", "lviv"))
    assert nurse.check_password(DEMO_PASSWORD)
    assert nurse.role_names == {"nurse"}
    assert Patient.objects.filter(home_site=kyiv).count() == 23  # 3 here, 20 from patients/demo.py
    assert User.objects.filter(email__endswith="@demo.clinic").count() == 18
    assert "DEMO LOGINS" in out.getvalue()
    # The demo portal patient has a trusted person, printed with her own sign-in.
    from clinic.portal.demo import DEMO_TRUSTED_PHONE
    from clinic.portal.models import TrustedPerson

    assert TrustedPerson.objects.live().filter(patient__record_number="K-0001").count() == 1
    assert DEMO_TRUSTED_PHONE in out.getvalue()
    assert Inquiry.objects.filter(site=kyiv).count() == 2
    # The demo portal patient has one session summary released by the physician.
    summaries = SessionSummary.objects.filter(patient__record_number="K-0001")
    assert [s.is_released for s in summaries] == [True]
    assert verify_chains() == []


@pytest.mark.django_db
def test_load_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert not Site.objects.exists()
