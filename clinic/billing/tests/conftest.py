"""Billing fixtures: the scheduling clinic (sites, rooms, visit types, a frozen Monday), prices
for a follow-up consultation and an infusion package at Kyiv, and the people who take money."""

from datetime import date

import pytest

from clinic.accounts.roles import Role
from clinic.billing import services
from clinic.billing.models import Vat
from clinic.scheduling import services as scheduling
from clinic.scheduling.tests.conftest import (  # noqa: F401 - fixtures
    at,
    clinic,
    english_messages,
    frozen,
    patient,
    reception,
    visit,
)

CONSULTATION = 120000  # 1 200,00 UAH
INFUSION = 650000
PACKAGE = 3600000  # six infusions


@pytest.fixture
def admin(users):
    return users[(Role.ADMINISTRATOR, "kyiv")]


@pytest.fixture
def cashier(users):
    return users[(Role.CASHIER, "kyiv")]


@pytest.fixture
def priced(visit, kyiv, admin, frozen):  # noqa: F811
    """Kyiv's prices in force from 1 March 2026 and a fee policy of 50% within 24 hours."""
    for code, amount in (("follow_up", CONSULTATION), ("ketamine_infusion", INFUSION)):
        services.set_price(
            kyiv, visit[code], amount_kopecks=amount, vat=Vat.EXEMPT,
            valid_from=date(2026, 3, 1), actor=admin,
        )  # fmt: skip
    services.save_site_billing(
        kyiv, notice_hours=24, late_cancel_percent=50, no_show_percent=100, actor=admin
    )
    return visit


@pytest.fixture
def infusions(priced, kyiv, admin):
    return services.define_package(
        kyiv, name="6 infusions", visit_type=priced["ketamine_infusion"], units=6,
        price_kopecks=PACKAGE, valid_days=90, vat=Vat.EXEMPT, actor=admin,
    )  # fmt: skip


def book(patient, visit_type, starts_at, users, clinic, actor):  # noqa: F811
    infusion = visit_type.code == "ketamine_infusion"
    return scheduling.book_appointment(
        patient,
        visit_type=visit_type,
        site=patient.home_site,
        starts_at=starts_at,
        practitioner=users[(Role.NURSE if infusion else Role.PHYSICIAN, "kyiv")],
        room=clinic["kyiv"]["chair1" if infusion else "consulting"],
        actor=actor,
    )


def attend(appointment, frozen, actor):  # noqa: F811
    """The patient comes and the visit takes place."""
    frozen.move_to(appointment.starts_at)
    scheduling.check_in_appointment(appointment, actor=actor)
    return scheduling.complete_appointment(appointment, actor=actor)
