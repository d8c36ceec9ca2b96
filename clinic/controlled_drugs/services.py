"""Every write to the controlled-drug register.

Each service checks who may do it and at which site, locks the holdings it touches, appends
its ledger entries and its audit row in one transaction. A refusal raises `LedgerRefused` with
a message for the person at the screen and writes nothing.
"""

import uuid
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.accounts.roles import CLINICAL_ROLES, Role
from clinic.controlled_drugs.ledger import (
    QUANTUM,
    LedgerRefused,
    append,
    lock_holding,
    lock_holdings,
)
from clinic.controlled_drugs.models import (
    ZERO,
    DiscrepancyResolution,
    Drug,
    Holding,
    Kind,
    LedgerEntry,
    Lot,
    Safe,
    StockCount,
    StockCountLine,
    Supplier,
)
from clinic.controlled_drugs.selectors import unaccounted_mg
from clinic.core.audit import audit
from clinic.core.models import OutboxMessage
from clinic.core.outbox import enqueue_message
from clinic.core.public_url import public_url

__all__ = [
    "LedgerRefused",
    "add_drug",
    "add_safe",
    "add_supplier",
    "receive_stock",
    "record_administration",
    "record_administration_with_residue",
    "record_residue_destruction",
    "record_stock_destruction",
    "transfer_stock",
    "record_count",
    "resolve_discrepancy",
    "reverse_entry",
]

STOCK_ROLES = (Role.DRUG_OFFICER,)
ADMINISTERING_ROLES = (Role.NURSE, Role.PHYSICIAN)
RESIDUE_ROLES = (Role.NURSE, Role.PHYSICIAN, Role.DRUG_OFFICER)
# Who may sign as the second person: any other active colleague at the site with a clinical
# or drug-officer role (brief: decisions already made).
WITNESS_ROLES = tuple(CLINICAL_ROLES | {Role.DRUG_OFFICER})
MAX_UNITS_PER_RECEIPT = 10_000


def _mg(value) -> Decimal:
    return Decimal(value).quantize(QUANTUM)


def _require_role_at(actor, site, roles) -> None:
    if site.pk not in actor.site_ids or not actor.has_role(*roles):
        raise LedgerRefused(_("You cannot record this movement at %(site)s.") % {"site": site})


def check_witness(witness, *, actor, site) -> None:
    """The second person: present, not the actor, active, at this site, in an eligible role."""
    if witness is None:
        raise LedgerRefused(_("This movement needs a witness."))
    if witness.pk == actor.pk:
        raise LedgerRefused(_("The witness must be a different person."))
    if (
        not witness.is_active
        or site.pk not in witness.site_ids
        or not witness.has_role(*WITNESS_ROLES)
    ):
        raise LedgerRefused(
            _("The witness must be an active colleague at %(site)s with a clinical role.")
            % {"site": site}
        )


def refuse_part_of_ampoule(drug: Drug, drawn_mg: Decimal) -> None:
    """A single-use ampoule leaves the safe whole: an opened one never returns to stock, so
    what is drawn from it is counted in whole ampoules and the rest is residue, destroyed
    before a witness (issue 14: a 50 mg draw from a 100 mg ampoule left "13 + 45 mg")."""
    if drug.is_single_use and drawn_mg % drug.unit_content_mg:
        whole, _rest = drug.units_in(drawn_mg)
        raise LedgerRefused(
            _(
                "%(drug)s comes in single-use ampoules of %(content)s mg: an opened ampoule "
                "leaves the safe whole. Enter the ampoules opened (%(next)s mg for %(count)s); "
                "what was not given is residue, destroyed before a witness."
            )
            % {
                "drug": drug,
                "content": f"{drug.unit_content_mg.normalize():f}",
                "next": f"{(drug.unit_content_mg * (whole + 1)).normalize():f}",
                "count": whole + 1,
            }
        )


def refuse_part_of_sealed(drug: Drug, quantity_mg: Decimal) -> None:
    """Sealed single-use ampoules move (written off, transferred, counted) only whole."""
    if drug.is_single_use and quantity_mg % drug.unit_content_mg:
        raise LedgerRefused(
            _("%(drug)s is counted in whole ampoules of %(content)s mg.")
            % {"drug": drug, "content": f"{drug.unit_content_mg.normalize():f}"}
        )


def _refuse_short(holding: Holding, quantity_mg: Decimal) -> None:
    if quantity_mg > holding.balance_mg:
        raise LedgerRefused(
            _("Only %(balance)s mg of lot %(lot)s is in %(safe)s.")
            % {
                "balance": f"{holding.balance_mg:f}",
                "lot": holding.lot.batch_number,
                "safe": holding.safe.name,
            }
        )


# Catalogue -----------------------------------------------------------------------------------


@transaction.atomic
def add_drug(
    *,
    code,
    inn,
    brand,
    dosage_form,
    unit_content_mg,
    unit_of_account,
    concentration_mg_per_ml=None,
    substance="",
    actor,
) -> Drug:
    """Add a controlled drug to the catalogue (the drug officer, from the package leaflet)."""
    if not actor.has_role(*STOCK_ROLES):
        raise LedgerRefused(_("Only a drug officer can change the catalogue."))
    if Drug.objects.filter(code=code).exists():
        raise LedgerRefused(_("A drug with this code already exists."))
    drug = Drug.objects.create(
        code=code,
        inn=inn,
        brand=brand,
        substance=substance,
        dosage_form=dosage_form,
        concentration_mg_per_ml=concentration_mg_per_ml,
        unit_content_mg=unit_content_mg,
        unit_of_account=unit_of_account,
    )
    audit(actor, "drugs.catalogue.drug_added", obj=drug, reason=str(drug))
    return drug


@transaction.atomic
def add_safe(*, site, name, count_every_hours: int = 24, actor) -> Safe:
    """Register a storage place at a site, counted every `count_every_hours`."""
    _require_role_at(actor, site, STOCK_ROLES)
    if Safe.objects.filter(site=site, name=name).exists():
        raise LedgerRefused(_("This site already has a safe with this name."))
    safe = Safe.objects.create(site=site, name=name, count_every_hours=count_every_hours)
    audit(actor, "drugs.catalogue.safe_added", obj=safe, site=site, reason=name)
    return safe


@transaction.atomic
def add_supplier(*, name, tax_code="", actor) -> Supplier:
    """Register a licensed wholesaler."""
    if not actor.has_role(*STOCK_ROLES):
        raise LedgerRefused(_("Only a drug officer can change the catalogue."))
    if Supplier.objects.filter(name=name).exists():
        raise LedgerRefused(_("This supplier is already registered."))
    supplier = Supplier.objects.create(name=name, tax_code=tax_code)
    audit(actor, "drugs.catalogue.supplier_added", obj=supplier, reason=name)
    return supplier


# Changing and retiring catalogue entries -----------------------------------------------------
#
# Nothing in the catalogue is deleted: the register's entries point at it. A change is audited
# with each field's old and new value (the item's history); an item out of use stays on the
# page and in past entries, and is no longer offered for new movements.

# What defines the amounts already in the register: fixed once the drug has stock entries.
DRUG_AMOUNT_FIELDS = (
    "dosage_form",
    "concentration_mg_per_ml",
    "unit_content_mg",
    "unit_of_account",
)


def _changes(obj, values: dict) -> list[str]:
    changed = []
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed.append(f"{field}: {old if old not in (None, '') else '—'} → {new or '—'}")
            setattr(obj, field, new)
    return changed


def _save_changes(obj, values, *, actor, action, site=None):
    changed = _changes(obj, values)
    if not changed:
        raise LedgerRefused(_("Nothing was changed."))
    obj.save(update_fields=list(values))
    audit(actor, action, obj=obj, site=site, reason="; ".join(changed))
    return obj


@transaction.atomic
def change_drug(drug: Drug, *, values: dict, actor) -> Drug:
    """Correct a drug's names; its form, strength and unit only while no stock was entered."""
    if not actor.has_role(*STOCK_ROLES):
        raise LedgerRefused(_("Only a drug officer can change the catalogue."))
    drug = Drug.objects.select_for_update(of=("self",), no_key=True).get(pk=drug.pk)
    amounts_changed = any(
        field in values and values[field] != getattr(drug, field) for field in DRUG_AMOUNT_FIELDS
    )
    if amounts_changed and drug.lots.exists():
        raise LedgerRefused(
            _(
                "This drug already has entries in the register, so its form, strength and unit "
                "stay as they were. Add the new presentation as a new drug and take this one "
                "out of use."
            )
        )
    return _save_changes(drug, values, actor=actor, action="drugs.catalogue.drug_changed")


@transaction.atomic
def change_safe(safe: Safe, *, name: str, count_every_hours: int | None = None, actor) -> Safe:
    """Rename a safe or change how often it is counted."""
    _require_role_at(actor, safe.site, STOCK_ROLES)
    safe = Safe.objects.select_for_update(of=("self",), no_key=True).get(pk=safe.pk)
    if Safe.objects.filter(site_id=safe.site_id, name=name).exclude(pk=safe.pk).exists():
        raise LedgerRefused(_("This site already has a safe with this name."))
    values = {"name": name}
    if count_every_hours is not None:
        values["count_every_hours"] = count_every_hours
    return _save_changes(
        safe, values, actor=actor, action="drugs.catalogue.safe_changed", site=safe.site
    )


@transaction.atomic
def change_supplier(supplier: Supplier, *, name: str, tax_code: str, actor) -> Supplier:
    if not actor.has_role(*STOCK_ROLES):
        raise LedgerRefused(_("Only a drug officer can change the catalogue."))
    supplier = Supplier.objects.select_for_update(of=("self",), no_key=True).get(pk=supplier.pk)
    if Supplier.objects.filter(name=name).exclude(pk=supplier.pk).exists():
        raise LedgerRefused(_("This supplier is already registered."))
    return _save_changes(
        supplier,
        {"name": name, "tax_code": tax_code},
        actor=actor,
        action="drugs.catalogue.supplier_changed",
    )


@transaction.atomic
def set_in_use(item, *, in_use: bool, actor):
    """Take a drug, safe or supplier out of use (or back): kept with its history, no longer
    offered for new movements. A drug or safe still holding stock stays in use."""
    if not actor.has_role(*STOCK_ROLES):
        raise LedgerRefused(_("Only a drug officer can change the catalogue."))
    site = getattr(item, "site", None)
    if site is not None:
        _require_role_at(actor, site, STOCK_ROLES)
    item = type(item).objects.select_for_update(of=("self",), no_key=True).get(pk=item.pk)
    if item.is_active == in_use:
        raise LedgerRefused(
            _("This entry is already in use.") if in_use else _("This entry is already out of use.")
        )
    if not in_use:
        if (
            isinstance(item, Drug)
            and Holding.objects.filter(lot__drug=item, balance_mg__gt=0).exists()
        ):
            raise LedgerRefused(
                _("This drug is still in stock; it stays in use until none is left.")
            )
        if isinstance(item, Safe) and Holding.objects.filter(safe=item, balance_mg__gt=0).exists():
            raise LedgerRefused(_("This safe still holds stock; move or account for it first."))
    item.is_active = in_use
    item.save(update_fields=["is_active"])
    action = "drugs.catalogue.restored" if in_use else "drugs.catalogue.retired"
    audit(actor, action, obj=item, site=site, reason=str(item))
    return item


# Movements -----------------------------------------------------------------------------------


@transaction.atomic
def receive_stock(
    *,
    safe: Safe,
    drug: Drug,
    batch_number: str,
    expires_on,
    units: int,
    supplier: Supplier,
    document_number: str,
    document_date,
    actor,
    note: str = "",
) -> LedgerEntry:
    """Take a delivery into a safe: the lot (new or known) and a receipt entry in mg."""
    site = safe.site
    _require_role_at(actor, site, STOCK_ROLES)
    batch_number = batch_number.strip()
    if not safe.is_active:
        raise LedgerRefused(_("This safe is no longer in use."))
    if not drug.is_active:
        raise LedgerRefused(_("This drug is no longer in the catalogue."))
    if not 1 <= units <= MAX_UNITS_PER_RECEIPT:
        raise LedgerRefused(_("Enter the number of units received (1 to 10000)."))
    if expires_on < timezone.localdate():
        raise LedgerRefused(_("This lot has expired; an expired lot cannot be received."))
    if not batch_number or not document_number.strip():
        raise LedgerRefused(_("The batch number and the invoice number are required."))
    lot, created = Lot.objects.get_or_create(
        site=site, drug=drug, batch_number=batch_number, defaults={"expires_on": expires_on}
    )
    if not created and lot.expires_on != expires_on:
        raise LedgerRefused(
            _("Lot %(lot)s is registered with the expiry date %(date)s; check the package.")
            % {"lot": batch_number, "date": lot.expires_on.strftime("%d.%m.%Y")}
        )
    holding, _created = Holding.objects.get_or_create(lot=lot, safe=safe)
    holding = lock_holding(holding)
    entry = append(
        holding,
        kind=Kind.RECEIPT,
        quantity_mg=drug.unit_content_mg * units,
        actor=actor,
        supplier=supplier,
        document_number=document_number.strip(),
        document_date=document_date,
        reason=note,
    )
    audit(actor, "drugs.stock.received", obj=entry, site=site, reason=f"{lot} x{units}")
    return entry


def _holding_for_administration(lot: Lot, safe, drawn_mg: Decimal) -> Holding:
    holdings = Holding.objects.filter(lot=lot)
    if safe is not None:
        holdings = holdings.filter(safe=safe)
    # Without a named safe, take the first one that holds enough of the lot.
    chosen = holdings.filter(balance_mg__gte=drawn_mg).order_by("pk").first()
    if chosen is None:
        chosen = holdings.order_by("-balance_mg").first()
    if chosen is None:
        raise LedgerRefused(_("This lot is not kept in that safe."))
    return chosen


@transaction.atomic
def record_administration(
    *,
    lot: Lot,
    patient,
    drawn_mg,
    administered_mg,
    actor,
    clinical_reference: uuid.UUID | None = None,
    safe: Safe | None = None,
    prescribed_by=None,
    note: str = "",
) -> LedgerEntry:
    """Record what was drawn from a lot for a patient and what the patient received.

    The drawn amount leaves the safe; whatever was not administered is residue that must be
    destroyed before the session can close (`unaccounted_mg`).
    """
    site = lot.site
    _require_role_at(actor, site, ADMINISTERING_ROLES)
    drawn_mg, administered_mg = _mg(drawn_mg), _mg(administered_mg)
    if patient.home_site_id != site.pk:
        raise LedgerRefused(_("The patient is not registered at this site."))
    if prescribed_by is not None and (
        site.pk not in prescribed_by.site_ids or not prescribed_by.has_role(Role.PHYSICIAN)
    ):
        raise LedgerRefused(_("The prescriber must be a physician at this site."))
    if drawn_mg <= ZERO:
        raise LedgerRefused(_("The amount drawn must be more than zero."))
    if not ZERO <= administered_mg <= drawn_mg:
        raise LedgerRefused(_("The amount administered cannot exceed the amount drawn."))
    if lot.is_expired():
        raise LedgerRefused(_("This lot has expired and cannot be used."))
    refuse_part_of_ampoule(lot.drug, drawn_mg)
    holding = lock_holding(_holding_for_administration(lot, safe, drawn_mg))
    _refuse_short(holding, drawn_mg)
    entry = append(
        holding,
        kind=Kind.ADMINISTRATION,
        quantity_mg=drawn_mg,
        actor=actor,
        patient=patient,
        prescribed_by=prescribed_by,
        clinical_reference=clinical_reference,
        drawn_mg=drawn_mg,
        administered_mg=administered_mg,
        reason=note,
    )
    audit(
        actor,
        "drugs.administration.recorded",
        patient,
        obj=entry,
        site=site,
        reason=f"{lot} drawn {drawn_mg} administered {administered_mg}",
    )
    return entry


@transaction.atomic
def record_residue_destruction(
    *,
    administration: LedgerEntry,
    quantity_mg,
    actor,
    witness,
    act_number: str = "",
    note: str = "",
) -> LedgerEntry:
    """Destroy the residue of an opened ampoule in front of a witness.

    The ampoule already left the safe with the administration, so the balance does not move;
    the entry accounts for the residue (Licensing Conditions CMU 282/2016 item 77: residues of
    opened ampoules are destroyed without a representative of the territorial body).
    """
    site = administration.site
    _require_role_at(actor, site, RESIDUE_ROLES)
    check_witness(witness, actor=actor, site=site)
    if administration.kind != Kind.ADMINISTRATION:
        raise LedgerRefused(_("Only the residue of an administration can be destroyed here."))
    quantity_mg = _mg(quantity_mg)
    holding = lock_holding(administration.holding)  # serialises two destructions of one residue
    administration = LedgerEntry.objects.select_related("patient").get(pk=administration.pk)
    open_mg = unaccounted_mg(administration)
    if quantity_mg <= ZERO or quantity_mg > open_mg:
        raise LedgerRefused(
            _("The residue still to account for is %(open)s mg.") % {"open": f"{open_mg:f}"}
        )
    entry = append(
        holding,
        kind=Kind.RESIDUE_DESTRUCTION,
        quantity_mg=quantity_mg,
        change_mg=ZERO,
        actor=actor,
        witness=witness,
        administration=administration,
        patient=administration.patient,
        document_number=act_number.strip(),
        reason=note,
    )
    audit(
        actor,
        "drugs.residue.destroyed",
        administration.patient,
        obj=entry,
        site=site,
        reason=f"{quantity_mg} mg witnessed by {witness.email}",
    )
    return entry


@transaction.atomic
def record_administration_with_residue(
    *,
    lot,
    patient,
    drawn_mg,
    administered_mg,
    actor,
    witness=None,
    act_number="",
    safe=None,
    clinical_reference=None,
    prescribed_by=None,
    note="",
) -> tuple[LedgerEntry, LedgerEntry | None]:
    """The nurse's form in one step: the administration and, when something is left, the
    witnessed destruction of the residue. Both or neither are written."""
    administration = record_administration(
        lot=lot,
        patient=patient,
        drawn_mg=drawn_mg,
        administered_mg=administered_mg,
        actor=actor,
        safe=safe,
        clinical_reference=clinical_reference,
        prescribed_by=prescribed_by,
        note=note,
    )
    residue = administration.residue_mg
    if residue == ZERO:
        return administration, None
    destruction = record_residue_destruction(
        administration=administration,
        quantity_mg=residue,
        actor=actor,
        witness=witness,
        act_number=act_number,
    )
    return administration, destruction


@transaction.atomic
def record_stock_destruction(
    *, holding: Holding, quantity_mg, reason: str, actor, witness, act_number: str = ""
) -> LedgerEntry:
    """Write off stock from a safe (expired, damaged) and destroy it in front of a witness."""
    site = holding.safe.site
    _require_role_at(actor, site, STOCK_ROLES)
    check_witness(witness, actor=actor, site=site)
    if not reason.strip():
        raise LedgerRefused(_("Say why the stock is destroyed."))
    quantity_mg = _mg(quantity_mg)
    if quantity_mg <= ZERO:
        raise LedgerRefused(_("The amount must be more than zero."))
    holding = lock_holding(holding)
    refuse_part_of_sealed(holding.lot.drug, quantity_mg)
    _refuse_short(holding, quantity_mg)
    entry = append(
        holding,
        kind=Kind.DESTRUCTION,
        quantity_mg=quantity_mg,
        actor=actor,
        witness=witness,
        reason=reason.strip(),
        document_number=act_number.strip(),
    )
    audit(actor, "drugs.stock.destroyed", obj=entry, site=site, reason=reason[:200])
    return entry


@transaction.atomic
def transfer_stock(
    *, holding: Holding, to_safe: Safe, quantity_mg, actor, reason: str = ""
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move stock of a lot between two safes of the same site: one entry out, one in."""
    site = holding.safe.site
    _require_role_at(actor, site, STOCK_ROLES)
    if to_safe.site_id != site.pk:
        # Moving controlled drugs between sites is transport under CMU 333/2013 with its own
        # documents; the register does not pretend it is a safe-to-safe move.
        raise LedgerRefused(_("Stock can only be moved between safes of the same site."))
    if to_safe.pk == holding.safe_id or not to_safe.is_active:
        raise LedgerRefused(_("Choose another safe in use at this site."))
    quantity_mg = _mg(quantity_mg)
    if quantity_mg <= ZERO:
        raise LedgerRefused(_("The amount must be more than zero."))
    target, _created = Holding.objects.get_or_create(lot=holding.lot, safe=to_safe)
    source, target = lock_holdings(holding, target)
    refuse_part_of_sealed(source.lot.drug, quantity_mg)
    _refuse_short(source, quantity_mg)
    transfer_id = uuid.uuid4()
    out = append(
        source,
        kind=Kind.TRANSFER_OUT,
        quantity_mg=quantity_mg,
        actor=actor,
        transfer_id=transfer_id,
        reason=reason,
    )
    into = append(
        target,
        kind=Kind.TRANSFER_IN,
        quantity_mg=quantity_mg,
        actor=actor,
        transfer_id=transfer_id,
        reason=reason,
    )
    audit(actor, "drugs.stock.transferred", obj=out, site=site, reason=f"to {to_safe.name}")
    return out, into


@transaction.atomic
def reverse_entry(entry: LedgerEntry, *, reason: str, actor, witness) -> list[LedgerEntry]:
    """Cancel an erroneous entry by a reversal entry of the opposite sign, witnessed.

    The original stays visible; an entry can be reversed once; a reversal is never reversed
    (record the correct movement instead). A transfer is reversed as a pair.
    """
    site = entry.site
    _require_role_at(actor, site, STOCK_ROLES)
    check_witness(witness, actor=actor, site=site)
    if not reason.strip():
        raise LedgerRefused(_("A reversal needs a reason."))
    if entry.kind == Kind.REVERSAL:
        raise LedgerRefused(_("A reversal cannot be reversed; record the correct movement."))
    if entry.kind == Kind.COUNT_ADJUSTMENT:
        raise LedgerRefused(
            _("A count adjustment is corrected by the next count, not by a reversal.")
        )
    originals = [entry]
    if entry.transfer_id:
        originals = list(
            LedgerEntry.objects.filter(transfer_id=entry.transfer_id).order_by("kind")
        )  # "transfer_in" sorts first: take stock back from the receiving safe first
    locked = lock_holdings(*[o.holding for o in originals])
    if LedgerEntry.objects.filter(reverses__in=originals).exists():
        raise LedgerRefused(_("This entry has already been reversed."))
    if (
        entry.kind == Kind.ADMINISTRATION
        and LedgerEntry.objects.filter(
            administration=entry, kind=Kind.RESIDUE_DESTRUCTION, reversed_by__isnull=True
        ).exists()
    ):
        raise LedgerRefused(_("Reverse the destruction of this administration's residue first."))
    reversals = []
    for original, holding in zip(originals, locked, strict=True):
        change = -original.change_mg
        if holding.balance_mg + change < ZERO:
            raise LedgerRefused(
                _("Reversing this entry would leave a negative balance in %(safe)s.")
                % {"safe": holding.safe.name}
            )
        reversals.append(
            append(
                holding,
                kind=Kind.REVERSAL,
                quantity_mg=original.quantity_mg,
                change_mg=change,
                actor=actor,
                witness=witness,
                reverses=original,
                patient=original.patient,
                transfer_id=original.transfer_id,
                reason=reason.strip(),
            )
        )
    audit(
        actor,
        "drugs.entry.reversed",
        entry.patient,
        obj=entry,
        site=site,
        reason=reason.strip()[:300],
    )
    return reversals


# Counts --------------------------------------------------------------------------------------


@transaction.atomic
def record_count(
    *,
    safe: Safe,
    lines: list[tuple[Holding, Decimal, str, int]],
    actor,
    witness=None,
    note: str = "",
) -> StockCount:
    """Record a physical count of a safe: per holding (holding, counted mg, explanation, the
    sequence number the counter saw). A difference is explained, witnessed, written as a count
    adjustment and announced to the site's administrators and drug officers.

    If the safe's contents changed while the form was open, the count is refused: the expected
    amounts the person compared against are no longer the register's.
    """
    site = safe.site
    _require_role_at(actor, site, STOCK_ROLES)
    in_safe = list(Holding.objects.filter(safe=safe))
    locked = {h.pk: h for h in lock_holdings(*in_safe)} if in_safe else {}
    given = {
        holding.pk: (counted, explanation, seen) for holding, counted, explanation, seen in lines
    }
    stocked = {pk for pk, h in locked.items() if h.balance_mg > 0}
    if not stocked <= set(given) or not set(given) <= set(locked):
        raise LedgerRefused(_("The safe's contents changed while you counted. Count again."))
    for pk, (_counted, _explanation, seen) in given.items():
        if locked[pk].last_seq != seen:
            raise LedgerRefused(_("The safe's contents changed while you counted. Count again."))
    discrepancies = []
    for pk, (counted, explanation, _seen) in given.items():
        counted = _mg(counted)
        if counted < ZERO:
            raise LedgerRefused(_("A counted amount cannot be negative."))
        refuse_part_of_sealed(locked[pk].lot.drug, counted)
        if counted != locked[pk].balance_mg:
            if not explanation.strip():
                raise LedgerRefused(_("Explain every difference between expected and counted."))
            discrepancies.append(pk)
    if discrepancies:
        check_witness(witness, actor=actor, site=site)
    count = StockCount.objects.create(
        safe=safe,
        site=site,
        counted_at=timezone.now(),
        actor=actor,
        witness=witness if discrepancies else None,
        note=note,
    )
    created_lines = []
    for pk, (counted, explanation, _seen) in sorted(given.items()):
        holding = locked[pk]
        counted = _mg(counted)
        expected = holding.balance_mg
        adjustment = None
        if counted != expected:
            adjustment = append(
                holding,
                kind=Kind.COUNT_ADJUSTMENT,
                quantity_mg=abs(counted - expected),
                change_mg=counted - expected,
                actor=actor,
                witness=witness,
                reason=explanation.strip(),
            )
        created_lines.append(
            StockCountLine.objects.create(
                count=count,
                holding=holding,
                expected_mg=expected,
                counted_mg=counted,
                explanation=explanation.strip() if adjustment else "",
                adjustment=adjustment,
            )
        )
    audit(
        actor,
        "drugs.count.recorded",
        obj=count,
        site=site,
        reason=f"{len(created_lines)} lines, {len(discrepancies)} discrepancies",
    )
    if discrepancies:
        _announce_discrepancy(count, len(discrepancies))
    return count


def discrepancy_recipients(site) -> list[User]:
    """The site's administrators (the centre has no 'medical director' role) and drug officers."""
    return list(
        User.objects.filter(
            is_active=True,
            sites=site,
            groups__name__in=[Role.ADMINISTRATOR, Role.DRUG_OFFICER],
        )
        .distinct()
        .order_by("pk")
    )


def _announce_discrepancy(count: StockCount, number: int) -> None:
    link = public_url(reverse("controlled_drugs:count_detail", args=[count.public_id]))
    with translation.override("uk"):
        for user in discrepancy_recipients(count.site):
            enqueue_message(
                channel=OutboxMessage.Channel.EMAIL,
                recipient=user.email,
                subject=_("Controlled drugs: discrepancy at %(site)s") % {"site": count.site},
                body=_(
                    "Discrepancies were found in the count of %(safe)s (lots: %(number)s). "
                    "Open the count to review and resolve them:\n%(link)s"
                )
                % {"safe": count.safe.name, "number": number, "link": link},
                site=count.site,
                dedupe_key=f"drug-count-discrepancy:{count.public_id}:{user.pk}",
            )


@transaction.atomic
def resolve_discrepancy(line: StockCountLine, *, text: str, actor) -> DiscrepancyResolution:
    """Write down how a discrepancy was settled (found, explained, reported to the police)."""
    site = line.count.site
    _require_role_at(actor, site, STOCK_ROLES)
    # Count lines are append-only (no UPDATE privilege, so no FOR UPDATE on PostgreSQL); the
    # holding's head row serialises two people resolving the same line.
    lock_holding(line.holding)
    if line.adjustment_id is None:
        raise LedgerRefused(_("This line has no discrepancy."))
    if DiscrepancyResolution.objects.filter(line=line).exists():
        raise LedgerRefused(_("This discrepancy has already been resolved."))
    if not text.strip():
        raise LedgerRefused(_("Describe how the discrepancy was resolved."))
    resolution = DiscrepancyResolution.objects.create(
        line=line, text=text.strip(), resolved_at=timezone.now(), resolved_by=actor
    )
    audit(actor, "drugs.discrepancy.resolved", obj=line.count, site=site, reason=text[:300])
    return resolution
