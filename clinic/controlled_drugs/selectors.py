"""Reads of the register: what is unaccounted, what is in the safes, the journal."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from clinic.accounts.roles import Role
from clinic.controlled_drugs.models import (
    ZERO,
    Holding,
    Kind,
    LedgerEntry,
    Lot,
    StockCountLine,
    Substance,
)


def unaccounted_mg(administration: LedgerEntry) -> Decimal:
    """Drawn minus administered minus destroyed residue; zero once the ampoule is accounted
    for (or the administration was reversed). An infusion session may close only at zero."""
    if administration.kind != Kind.ADMINISTRATION:
        raise ValueError("unaccounted_mg applies to administrations")
    if LedgerEntry.objects.filter(reverses=administration).exists():
        return ZERO
    destroyed = (
        LedgerEntry.objects.filter(
            administration=administration,
            kind=Kind.RESIDUE_DESTRUCTION,
            reversed_by__isnull=True,
        ).aggregate(total=Sum("quantity_mg"))["total"]
        or ZERO
    )
    return administration.drawn_mg - administration.administered_mg - destroyed


def unaccounted_for_session(clinical_reference) -> Decimal:
    """What is still unaccounted for across every administration of one infusion session (a
    reversed administration accounts for itself: its ampoule went back to the safe). One query,
    however many administrations the session has."""
    amounts = (
        administrations_for_session(clinical_reference)
        .with_destroyed_mg()
        .values_list("drawn_mg", "administered_mg", "destroyed_mg")
    )
    return sum((drawn - given - destroyed for drawn, given, destroyed in amounts), ZERO)


def ketamine_holdings(site):
    """The lots of ketamine with stock in a site's safes, for recording an infusion's dose.

    The drug an infusion session draws is marked by its substance code, not recognised by the
    INN the drug officer typed from the package leaflet."""
    return (
        Holding.objects.at(site)
        .in_stock()
        .filter(lot__drug__substance=Substance.KETAMINE)
        .for_pages()
    )


def administrations_for_session(clinical_reference):
    """The administrations of one infusion session that still stand (not reversed)."""
    return LedgerEntry.objects.filter(
        clinical_reference=clinical_reference,
        kind=Kind.ADMINISTRATION,
        reversed_by__isnull=True,
    )


def entries_for_session(clinical_reference):
    """Everything the register holds for one infusion session, in the order it was written:
    its administrations, the witnessed destruction of their residue and any reversal."""
    return (
        LedgerEntry.objects.filter(
            Q(clinical_reference=clinical_reference)
            | Q(administration__clinical_reference=clinical_reference)
            | Q(reverses__clinical_reference=clinical_reference)
            | Q(reverses__administration__clinical_reference=clinical_reference)
        )
        .for_pages()
        .order_by("recorded_at", "id")
    )


def expiry_warning_days() -> int:
    return settings.DRUG_EXPIRY_WARNING_DAYS


def expiring_lots(site_ids, today=None):
    return Lot.objects.expiring(site_ids=site_ids, within_days=expiry_warning_days(), today=today)


def balances_at(site):
    """Every holding with stock at a site, for the current-balance page."""
    return Holding.objects.at(site).in_stock().for_pages()


def attention_count(user) -> int:
    """The menu counter: what waits for this person in the register."""
    if user.has_role(Role.DRUG_OFFICER):
        return (
            StockCountLine.objects.open_discrepancies(user.site_ids).count()
            + expiring_lots(user.site_ids).count()
        )
    if user.has_role(Role.NURSE, Role.PHYSICIAN):
        return LedgerEntry.objects.administrations_pending_residue(user.site_ids).count()
    return 0


@dataclass
class JournalRow:
    number: int
    entry: LedgerEntry
    received_mg: Decimal | None
    issued_mg: Decimal | None
    balance_mg: Decimal


@dataclass
class Journal:
    site: object
    drug: object
    start: object
    end: object
    opening_mg: Decimal
    rows: list[JournalRow] = field(default_factory=list)

    @property
    def closing_mg(self) -> Decimal:
        return self.rows[-1].balance_mg if self.rows else self.opening_mg

    @property
    def received_total_mg(self) -> Decimal:
        return sum((r.received_mg or ZERO for r in self.rows), ZERO)

    @property
    def issued_total_mg(self) -> Decimal:
        return sum((r.issued_mg or ZERO for r in self.rows), ZERO)


def _day_start(day) -> datetime:
    # Midnight exists on every day in Europe/Kyiv (clocks change at 03:00/04:00).
    return timezone.make_aware(datetime.combine(day, time.min))


def journal(*, site, drug, start, end) -> Journal:
    """The register of one drug at one site for a period, as journal 129-6/о lays it out:
    every movement in the order it was recorded, with the site's running balance of the drug
    (all lots, all safes) and each holding's own balance on the entry."""
    begins, ends = _day_start(start), _day_start(end + timedelta(days=1))
    entries = LedgerEntry.objects.filter(site=site, drug=drug)
    opening = entries.filter(recorded_at__lt=begins).aggregate(total=Sum("change_mg"))["total"]
    result = Journal(site=site, drug=drug, start=start, end=end, opening_mg=opening or ZERO)
    balance = result.opening_mg
    in_period = (
        entries.filter(recorded_at__gte=begins, recorded_at__lt=ends)
        .select_related(
            "lot", "safe", "actor", "witness", "patient", "supplier", "prescribed_by", "reverses"
        )
        .order_by("recorded_at", "id")
    )
    for number, entry in enumerate(in_period, start=1):
        balance += entry.change_mg
        result.rows.append(
            JournalRow(
                number=number,
                entry=entry,
                received_mg=entry.change_mg if entry.change_mg > 0 else None,
                issued_mg=-entry.change_mg if entry.change_mg < 0 else None,
                balance_mg=balance,
            )
        )
    return result
