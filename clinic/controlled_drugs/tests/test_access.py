import uuid

import pytest
from django.http import Http404

from clinic.accounts.roles import Role
from clinic.controlled_drugs import services
from clinic.controlled_drugs.access import (
    get_count_for,
    get_entry_for,
    get_holding_for,
    get_safe_for,
)
from clinic.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(officer, safe, holding, receipt):
    count = services.record_count(
        safe=safe, lines=[(holding, holding.balance_mg, "", holding.last_seq)], actor=officer
    )
    return {
        get_entry_for: receipt,
        get_holding_for: holding,
        get_safe_for: safe,
        get_count_for: count,
    }


@pytest.mark.parametrize("role", [Role.DRUG_OFFICER, Role.NURSE, Role.PHYSICIAN])
def test_staff_of_the_site_get_its_register_objects(users, objects, role):
    user = users[(role, "kyiv")]
    for access, obj in objects.items():
        assert access(user, obj.public_id) == obj


@pytest.mark.parametrize("role", list(Role))
def test_staff_of_another_site_get_404_and_the_attempt_is_audited(users, objects, role):
    user = users[(role, "lviv")]
    for access, obj in objects.items():
        with pytest.raises(Http404):
            access(user, obj.public_id)
    assert (
        AuditEvent.objects.filter(
            actor=user, action="drugs.access.denied", outcome=AuditEvent.Outcome.DENIED
        ).count()
        == 4
    )


def test_an_unknown_id_is_404_without_an_audit_row(users, objects):
    user = users[(Role.DRUG_OFFICER, "kyiv")]
    for access in objects:
        with pytest.raises(Http404):
            access(user, uuid.uuid4())
    assert not AuditEvent.objects.filter(action="drugs.access.denied").exists()
