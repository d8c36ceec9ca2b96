"""Plain helpers for the register's tests."""

from datetime import date
from decimal import Decimal

from clinic.controlled_drugs import services
from clinic.controlled_drugs.models import (
    DosageForm,
    Drug,
    Safe,
    Substance,
    Supplier,
    UnitOfAccount,
)

EXPIRY = date(2028, 6, 30)


def make_drug(code="ketamine-50", **fields) -> Drug:
    # Ketamine hydrochloride 50 mg/ml, 2 ml ampoules: 100 mg per ampoule (package data).
    defaults = {
        "inn": "Ketamine",
        "brand": "Кетамін-Здоров'я",
        "dosage_form": DosageForm.INJECTION_SOLUTION,
        "concentration_mg_per_ml": Decimal("50"),
        "unit_content_mg": Decimal("100"),
        "unit_of_account": UnitOfAccount.AMPOULE,
    }
    defaults.update(fields)
    if defaults["inn"] == "Ketamine":
        defaults.setdefault("substance", Substance.KETAMINE)
    return Drug.objects.create(code=code, **defaults)


def make_safe(site, name="Сейф 1") -> Safe:
    return Safe.objects.create(site=site, name=name)


def make_supplier(name="ТОВ «Фарма-Опт»") -> Supplier:
    return Supplier.objects.get_or_create(name=name, defaults={"tax_code": "12345678"})[0]


def receive(officer, safe, drug, units=5, batch="KT-001", expires_on=EXPIRY):
    return services.receive_stock(
        safe=safe,
        drug=drug,
        batch_number=batch,
        expires_on=expires_on,
        units=units,
        supplier=make_supplier(),
        document_number="ВН-17",
        document_date=date(2026, 11, 30),
        actor=officer,
    )
