"""The demo register: a month of ketamine at both sites, written through the services.

Receipts a month ago, two infusions a week for each demo patient who has infusions on the
treatment boards (at that patient's weight-based dose), with the residue of every ampoule
destroyed before a witness, one destruction act for a broken ampoule, and today's count of the
Kyiv safe with a discrepancy that was explained and resolved. The last two days belong to the
treatment demo, whose sessions enter their own administrations. Idempotent: a site whose
register already has entries is left alone.
"""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from clinic.accounts.models import User
from clinic.controlled_drugs import ledger, services
from clinic.controlled_drugs.models import (
    DosageForm,
    Drug,
    Holding,
    LedgerEntry,
    Safe,
    Substance,
    Supplier,
    UnitOfAccount,
)
from clinic.core.demo import demo_email
from clinic.patients.models import Patient
from clinic.treatment.demo import DEMO_INFUSION_WEIGHTS_KG
from clinic.treatment.rules import calculate_dose

# Ketamine hydrochloride 50 mg/ml in 2 ml ampoules: the strength Ukrainian wholesalers list.
KETAMINE = {
    "code": "ketamine-50",
    "inn": "Ketamine",
    "substance": Substance.KETAMINE,
    "brand": "Кетамін-Здоров'я",
    "dosage_form": DosageForm.INJECTION_SOLUTION,
    "concentration_mg_per_ml": Decimal("50"),
    "unit_content_mg": Decimal("100"),
    "unit_of_account": UnitOfAccount.AMPOULE,
}
# 0.5 mg/kg IV over 40 min (domain.md §3.3), the demo courses' dose: 82.4 kg -> 41.2 mg.
DEMO_MG_PER_KG = Decimal("0.5")
INFUSION_WEEKDAYS = (1, 3)  # Tuesday and Thursday
HISTORY_DAYS = 28  # up to three days ago; yesterday and today are the treatment demo's


def demo_dose_mg(record_number) -> Decimal:
    """The dose the treatment demo signs for the patient, by the same calculation."""
    return calculate_dose(
        weight_kg=DEMO_INFUSION_WEIGHTS_KG[record_number],
        mg_per_kg=DEMO_MG_PER_KG,
        concentration_mg_per_ml=Decimal("1"),
        minutes=40,
    ).dose_mg


@contextmanager
def backdated(moment):
    """Lay out past entries at the time they would have been written."""
    original = ledger.clock
    ledger.clock = lambda: moment
    try:
        yield
    finally:
        ledger.clock = original


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _person(role: str, site) -> User:
    return User.objects.get(email=demo_email(role, site.code))


def load_demo(*, actor, sites) -> None:
    officer_of = {code: _person("drug_officer", site) for code, site in sites.items()}
    drug = Drug.objects.filter(code=KETAMINE["code"]).first() or services.add_drug(
        **KETAMINE, actor=officer_of["kyiv"]
    )
    supplier = Supplier.objects.filter(name="ТОВ «Демо-Фарм»").first() or services.add_supplier(
        name="ТОВ «Демо-Фарм»", tax_code="00000000", actor=officer_of["kyiv"]
    )
    today = timezone.localdate()
    start = today - timedelta(days=30)
    for code, site in sites.items():
        if LedgerEntry.objects.filter(site=site).exists():
            continue
        officer = officer_of[code]
        nurse, physician = _person("nurse", site), _person("physician", site)
        safe = Safe.objects.filter(site=site).first() or services.add_safe(
            site=site, name="Сейф процедурного кабінету", actor=officer
        )
        with backdated(_at(start, 9)):
            receipt = services.receive_stock(
                safe=safe,
                drug=drug,
                batch_number=f"DEMO-{code.upper()}-01",
                expires_on=date(today.year + 2, 6, 30),
                units=40,
                supplier=supplier,
                document_number=f"ВН-{code.upper()}-001",
                document_date=start,
                actor=officer,
            )
        patients = list(
            Patient.objects.filter(
                home_site=site, record_number__in=DEMO_INFUSION_WEIGHTS_KG
            ).order_by("record_number")
        )
        for offset in range(1, HISTORY_DAYS):
            day = start + timedelta(days=offset)
            if day.weekday() not in INFUSION_WEEKDAYS:
                continue
            for index, patient in enumerate(patients):
                dose = demo_dose_mg(patient.record_number)
                with backdated(_at(day, 10 + index)):
                    services.record_administration_with_residue(
                        lot=receipt.lot,
                        safe=safe,
                        patient=patient,
                        drawn_mg=drug.unit_content_mg,
                        administered_mg=dose,
                        actor=nurse,
                        witness=physician,
                        act_number=f"ЗЛ-{day:%m%d}-{index + 1}",
                        prescribed_by=physician,
                    )
        holding = Holding.objects.get(lot=receipt.lot, safe=safe)
        if code == "lviv":
            with backdated(_at(start + timedelta(days=12), 17)):
                services.record_stock_destruction(
                    holding=holding,
                    quantity_mg=drug.unit_content_mg,
                    reason="Ампула тріснула під час огляду сейфа",
                    act_number="АКТ-ЛВ-2026-01",
                    actor=officer,
                    witness=physician,
                )
        if code == "kyiv":
            holding.refresh_from_db()
            count = _count(safe, holding, officer, physician)
            services.resolve_discrepancy(
                count.lines.get(),
                text="Пояснювальна записка медсестри отримана; проведено інструктаж",
                actor=officer,
            )


def drug_unit(holding):
    # Single-use ampoules are counted whole: the discrepancy is an ampoule.
    return holding.lot.drug.unit_content_mg


def _count(safe, holding, officer, physician):
    return services.record_count(
        safe=safe,
        lines=[
            (
                holding,
                holding.balance_mg - drug_unit(holding),
                "Під час набору розбито одну ампулу; не записано одразу",
                holding.last_seq,
            )
        ],
        actor=officer,
        witness=physician,
        note="Щоденна інвентаризація наприкінці зміни",
    )
