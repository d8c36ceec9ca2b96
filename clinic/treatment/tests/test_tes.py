from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinic.core.models import AuditEvent
from clinic.locations.models import Room
from clinic.treatment import services
from clinic.treatment.models import TesSession, TreatmentSettings
from clinic.treatment.tests.factories import make_chair

pytestmark = pytest.mark.django_db


@pytest.fixture
def tes_room(kyiv):
    return make_chair(kyiv, "Кабінет ТЕС", kind=Room.Kind.TES)


def tes_post(room, **overrides):
    data = {
        "room": room.pk,
        "device": "Sooma",
        "serial_number": "SN-42",
        "stimulation": "tdcs",
        "anode": "F3",
        "cathode": "F4",
        "electrode_area_cm2": "25",
        "current_ma": "2.0",
        "minutes": "30",
        "ramp_up_seconds": "30",
        "ramp_down_seconds": "30",
        "skin_before": "intact",
    }
    data.update(overrides)
    return data


def test_a_tes_session_records_derived_charge_and_density(client, nurse, patient, tes_room):
    client.force_login(nurse)
    response = client.post(
        f"/staff/treatment/patients/{patient.public_id}/tes/new/", tes_post(tes_room)
    )
    tes = TesSession.objects.get()
    assert response["Location"] == f"/staff/treatment/tes/{tes.public_id}/"
    assert tes.charge_c == Decimal("3.600") and tes.current_density_ma_cm2 == Decimal("0.0800")
    page = client.get(response["Location"]).content.decode()
    assert "3,600" in page
    client.post(
        f"/staff/treatment/tes/{tes.public_id}/complete/",
        {"skin_after": "redness", "sensations": "поколювання"},
    )
    tes.refresh_from_db()
    assert tes.status == "completed" and tes.skin_after == "redness"
    assert set(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True)) >= {
        "tes.started",
        "tes.completed",
    }


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"current_ma": "2.5"}, "Сила струму 2,5 мА перевищує межу 2,0 мА"),
        ({"minutes": "45"}, "Тривалість 45 хв перевищує межу 40 хв"),
        ({"current_ma": "9.9"}, "перевищує межу"),
    ],
)
def test_tes_above_the_limits_is_refused_with_a_clear_message(
    client, nurse, patient, tes_room, overrides, message
):
    client.force_login(nurse)
    response = client.post(
        f"/staff/treatment/patients/{patient.public_id}/tes/new/", tes_post(tes_room, **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TesSession.objects.exists()
    assert AuditEvent.objects.filter(action="tes.limits.refused", outcome="denied").count() == 1


def test_the_charge_ceiling_holds_even_when_current_and_time_are_allowed(patient, tes_room, nurse):
    # 4 mA is allowed at a site that raised its limit; 4 mA x 40 min = 9.6 C is not.
    TreatmentSettings.objects.create(site=patient.home_site, tes_max_current_ma=Decimal("4.0"))
    with pytest.raises(
        services.TreatmentRefused, match="charge 9.600 C is above the limit of 7.2 C"
    ):
        services.start_tes_session(
            patient, room=tes_room, device="d", serial_number="s", stimulation="tdcs",
            anode="F3", cathode="F4", electrode_area_cm2=Decimal("35"),
            current_ma=Decimal("4.0"), minutes=40, ramp_up_seconds=30, ramp_down_seconds=30,
            skin_before="intact", actor=nurse,
        )  # fmt: skip
    assert not TesSession.objects.exists()


def test_damaged_skin_blocks_the_start(patient, tes_room, nurse):
    with pytest.raises(services.TreatmentRefused, match="damaged skin"):
        services.start_tes_session(
            patient, room=tes_room, device="d", serial_number="s", stimulation="tdcs",
            anode="F3", cathode="F4", electrode_area_cm2=Decimal("25"),
            current_ma=Decimal("1.0"), minutes=20, ramp_up_seconds=30, ramp_down_seconds=30,
            skin_before="lesion", actor=nurse,
        )  # fmt: skip


@pytest.mark.parametrize(
    "field,value",
    [
        ("tes_max_current_ma", Decimal("4.5")),
        ("tes_max_minutes", 41),
        ("tes_max_charge_c", Decimal("7.3")),
        ("max_dose_mg_per_kg", Decimal("0.80")),
    ],
)
def test_the_database_keeps_the_hard_ceilings(kyiv, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentSettings.objects.create(site=kyiv, **{field: value})


def test_an_administrator_cannot_raise_a_limit_above_its_ceiling(client, users, kyiv):
    from clinic.accounts.roles import Role
    from clinic.treatment.forms import SETTINGS_FIELDS
    from clinic.treatment.selectors import rules_for

    admin = users[(Role.ADMINISTRATOR, "kyiv")]
    client.force_login(admin)
    page = client.get("/staff/treatment/settings/kyiv/").content.decode()
    assert "(Bikson et al., Brain Stimul 2016)" in page and "НЕ ПІДТВЕРДЖЕНО" in page
    assert "domain.md" not in page and "[R70]" not in page
    current = rules_for(kyiv)
    data = {name: getattr(current, name) for name in SETTINGS_FIELDS}
    data["fasting_required"] = "on" if data["fasting_required"] else ""
    data["tes_max_current_ma"] = "5.0"
    response = client.post("/staff/treatment/settings/kyiv/", data)
    assert response.status_code == 200
    assert not TreatmentSettings.objects.exists()
    data["tes_max_current_ma"] = "3.0"
    data["bp_warn_systolic"] = "150"
    response = client.post("/staff/treatment/settings/kyiv/", data)
    assert response.status_code == 302
    # In force only once a physician of the site co-signs (test_settings.py).
    assert not TreatmentSettings.objects.exists()
    event = AuditEvent.objects.get(action="treatment.settings.proposed")
    assert "tes_max_current_ma" in event.reason and "bp_warn_systolic" in event.reason
    assert client.get("/staff/treatment/settings/lviv/").status_code == 404
