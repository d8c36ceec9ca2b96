"""The register's worklists on the staff start page (clinic.core.worklists)."""

from datetime import timedelta

from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clinic.controlled_drugs.models import Holding, LedgerEntry, Safe, StockCountLine
from clinic.controlled_drugs.selectors import expiring_lots
from clinic.core.numbers import quantity
from clinic.core.worklists import CAP, WorkItem


def residues(user, site) -> list[WorkItem]:
    """Administrations whose drawn amount is not yet accounted for: the residue waits to be
    destroyed before a witness."""
    entries = (
        LedgerEntry.objects.administrations_pending_residue([site.pk])
        .select_related("drug", "patient")
        .order_by("recorded_at", "pk")[:CAP]
    )
    return [
        WorkItem(
            text=f"{entry.drug} · {entry.patient.full_name if entry.patient else ''}".strip(" ·"),
            url=reverse("controlled_drugs:destroy_residue", kwargs={"entry_id": entry.public_id}),
            detail=_("drawn %(drawn)s mg, given %(given)s mg")
            % {"drawn": quantity(entry.drawn_mg), "given": quantity(entry.administered_mg)},
            urgent=True,
        )
        for entry in entries
    ]


def discrepancies(user, site) -> list[WorkItem]:
    lines = (
        StockCountLine.objects.open_discrepancies([site.pk])
        .select_related("count", "holding__lot__drug")
        .order_by("pk")[:CAP]
    )
    return [
        WorkItem(
            text=f"{line.holding.lot.drug} · {line.holding.lot.batch_number}",
            url=reverse("controlled_drugs:count_detail", kwargs={"count_id": line.count.public_id}),
            detail=_("expected %(expected)s mg, counted %(counted)s mg")
            % {"expected": quantity(line.expected_mg), "counted": quantity(line.counted_mg)},
            urgent=True,
        )
        for line in lines
    ]


def lots_expiring(user, site) -> list[WorkItem]:
    return [
        WorkItem(
            text=f"{lot.drug} · {lot.batch_number}",
            url=reverse("controlled_drugs:overview"),
            detail=_("expires %(day)s") % {"day": date_format(lot.expires_on, "d.m.Y")},
        )
        for lot in expiring_lots([site.pk]).order_by("expires_on", "pk")[:CAP]
    ]


def counts_due(user, site) -> list[WorkItem]:
    """Safes of the site holding stock whose last count is older than their schedule
    (`Safe.count_every_hours`), or that were never counted; the longest overdue first."""
    now = timezone.now()
    safes = (
        Safe.objects.filter(site=site, is_active=True)
        .filter(Exists(Holding.objects.filter(safe=OuterRef("pk"), balance_mg__gt=0)))
        .annotate(last_counted=Max("counts__counted_at"))
        .order_by("last_counted", "name", "pk")[:CAP]
    )
    items = []
    for safe in safes:
        if safe.last_counted is None:
            detail = _("never counted")
        elif safe.last_counted + timedelta(hours=safe.count_every_hours) <= now:
            detail = _("last counted %(when)s") % {
                "when": date_format(timezone.localtime(safe.last_counted), "d.m.Y H:i")
            }
        else:
            continue
        items.append(
            WorkItem(
                text=safe.name,
                url=reverse("controlled_drugs:count", kwargs={"safe_id": safe.public_id}),
                detail=detail,
                urgent=True,
            )
        )
    return items
