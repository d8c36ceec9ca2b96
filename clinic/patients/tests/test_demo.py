import pytest

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.conftest import make_user
from clinic.patients import selectors
from clinic.patients.demo import load_demo
from clinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_the_demo_has_forty_varied_patients_and_loads_once(kyiv, lviv):
    for site in (kyiv, lviv):
        make_user(f"doc.{site.code}@test.clinic", roles=[Role.PHYSICIAN], sites=[site])
    system = User.objects.system_actor()
    load_demo(actor=system, sites={"kyiv": kyiv, "lviv": lviv})
    load_demo(actor=system, sites={"kyiv": kyiv, "lviv": lviv})
    patients = list(Patient.objects.all())
    assert len(patients) == 40
    assert {p.home_site_id for p in patients} == {kyiv.pk, lviv.pk}
    statuses, pseudo, peripartum, contraindicated = set(), 0, 0, 0
    for patient in patients:
        picture = selectors.trd_picture(patient)
        statuses.add(picture.status.value)
        pseudo += picture.pseudo.possible
        peripartum += bool(selectors.peripartum_for(patient))
        contraindicated += any(f.is_contraindication for f in selectors.ketamine_screen(patient))
    assert statuses == {"yes", "no", "insufficient"}
    assert pseudo >= 4 and peripartum >= 2 and contraindicated >= 4
    eligible = [selectors.current_ketamine_eligibility(p) for p in patients]
    assert any(d and d.is_eligible for d in eligible)
    assert any(d and not d.is_eligible for d in eligible)


def test_every_demo_chart_renders_for_each_role(client, users, kyiv, lviv):
    load_demo(actor=User.objects.system_actor(), sites={"kyiv": kyiv, "lviv": lviv})
    for role in (Role.PHYSICIAN, Role.RECEPTIONIST):
        client.force_login(users[(role, "kyiv")])
        for patient in Patient.objects.filter(home_site=kyiv):
            response = client.get(f"/staff/patients/{patient.public_id}/")
            assert response.status_code == 200, patient.record_number
            if role == Role.RECEPTIONIST:
                assert "trd-status" not in response.content.decode()
