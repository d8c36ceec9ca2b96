"""The controlled-drug register: catalogue, safes, lots and the append-only ledger.

The ledger is kept per holding: one lot of one drug in one safe of one site. Each holding has a
head row (balance, last sequence number, last hash) that serialises appends, and its entries
form a hash chain with a gap-free sequence (security.md §4). Entries, counts, resolutions and
anchors are never changed: the tables are append-only in the database itself.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# Plain `gettext` (not an alias): makemessages only finds the names it knows.
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from clinic.core.numbers import quantity

# Quantities are milligrams with three decimals: a 50 mg/ml ampoule drawn to 0.7 ml is 35.000.
MG = {"max_digits": 12, "decimal_places": 3}
ZERO = Decimal("0.000")


class DosageForm(models.TextChoices):
    INJECTION_SOLUTION = "injection_solution", _("Solution for injection")
    NASAL_SPRAY = "nasal_spray", _("Nasal spray")
    TABLET = "tablet", _("Tablet")


class Substance(models.TextChoices):
    """Active substances the system itself acts on, by a stable code: the INN as entered stays
    the register's legal name, and the display name follows the page's language."""

    KETAMINE = "ketamine", _("Ketamine")


class UnitOfAccount(models.TextChoices):
    AMPOULE = "ampoule", _("Ampoule")
    VIAL = "vial", _("Vial")
    DEVICE = "device", _("Device")
    TABLET = "tablet", _("Tablet")


# How many units of each kind, for counts in the register (plurals by the language's rules).
UNIT_COUNTS = {
    UnitOfAccount.AMPOULE: lambda n: ngettext("%(count)s ampoule", "%(count)s ampoules", n),
    UnitOfAccount.VIAL: lambda n: ngettext("%(count)s vial", "%(count)s vials", n),
    UnitOfAccount.DEVICE: lambda n: ngettext("%(count)s device", "%(count)s devices", n),
    UnitOfAccount.TABLET: lambda n: ngettext("%(count)s tablet", "%(count)s tablets", n),
}


class DrugQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Drug(models.Model):
    """A controlled medicine as the centre buys it: INN, brand, form and the content of one unit.

    Strengths are data the drug officer enters from the package leaflet, not constants: the
    centre buys what the market offers (e.g. ketamine 50 mg/ml in 2 ml ampoules).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    inn = models.CharField(
        _("INN"), max_length=100, help_text=_("International non-proprietary name")
    )
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    # Which substance this is for the infusion sessions (ketamine), whatever the INN's spelling.
    substance = models.CharField(
        _("active substance"), max_length=20, choices=Substance.choices, blank=True
    )
    dosage_form = models.CharField(_("form"), max_length=30, choices=DosageForm.choices)
    concentration_mg_per_ml = models.DecimalField(
        _("concentration, mg/ml"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    unit_content_mg = models.DecimalField(
        _("content of one unit, mg"), max_digits=8, decimal_places=3
    )
    unit_of_account = models.CharField(
        _("unit of account"), max_length=20, choices=UnitOfAccount.choices
    )
    is_active = models.BooleanField(_("in use"), default=True)

    objects = DrugQuerySet.as_manager()

    class Meta:
        ordering = ["inn", "brand"]
        verbose_name = _("controlled drug")
        verbose_name_plural = _("controlled drugs")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_content_mg__gt=0), name="drug_unit_content_positive"
            ),
            models.CheckConstraint(
                condition=Q(concentration_mg_per_ml__isnull=True)
                | Q(concentration_mg_per_ml__gt=0),
                name="drug_concentration_positive",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.brand})" if self.brand else self.name

    @property
    def name(self) -> str:
        """The drug's name on pages, in their language; the register's journal keeps the INN."""
        return self.get_substance_display() if self.substance else self.inn

    @property
    def is_single_use(self) -> bool:
        """An ampoule, once opened, cannot be closed again: it leaves the safe whole and what
        is not given is destroyed before a witness (Licensing Conditions CMU 282/2016 item
        77). Vials, devices and tablets are counted as they are."""
        return self.unit_of_account == UnitOfAccount.AMPOULE

    def units_in(self, mg: Decimal) -> tuple[int, Decimal]:
        """(whole units, the milligrams left over) in an amount of this drug."""
        whole, rest = divmod(mg, self.unit_content_mg)
        return int(whole), rest

    def count_label(self, mg: Decimal) -> str:
        """An amount as the register counts it, in units and mg: "2 ampoules (200 mg)"."""
        whole, rest = self.units_in(mg)
        units = UNIT_COUNTS[self.unit_of_account](whole) % {"count": whole}
        if rest:
            units = gettext("%(units)s + %(rest)s mg") % {"units": units, "rest": quantity(rest)}
        return gettext("%(units)s (%(mg)s mg)") % {"units": units, "mg": quantity(mg)}

    @property
    def strength_label(self) -> str:
        if self.concentration_mg_per_ml:
            volume = self.unit_content_mg / self.concentration_mg_per_ml
            return gettext("%(concentration)s mg/ml × %(volume)s ml") % {
                "concentration": quantity(self.concentration_mg_per_ml),
                "volume": quantity(volume),
            }
        return gettext("%(content)s mg") % {"content": quantity(self.unit_content_mg)}


class Safe(models.Model):
    """A storage place for controlled drugs at a site (a safe or a locked cabinet)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="safes", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)
    # The interval the register's rules require is UNCONFIRMED (domain.md §6.1: the text of
    # journal 129-6/о was not retrieved); one count a day, at the end of the day, is the
    # centre's practice (StockCount). Data the drug officer sets per safe, never a constant.
    count_every_hours = models.PositiveSmallIntegerField(
        _("count every (hours)"),
        default=24,
        help_text=_(
            "One count a day is the centre's practice; the interval the register's rules "
            "require is not confirmed. Set it as the medical director decides."
        ),
    )

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("safe")
        verbose_name_plural = _("safes")
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="safe_name_unique_per_site"),
            # At least hourly, at most monthly (31 days).
            models.CheckConstraint(
                condition=Q(count_every_hours__gte=1, count_every_hours__lte=744),
                name="safe_count_interval_range",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.site})"


class Supplier(models.Model):
    """A licensed wholesaler the centre buys controlled drugs from."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    tax_code = models.CharField(_("EDRPOU code"), max_length=10, blank=True)
    # Out of use: kept for the entries that name it, no longer offered for new receipts.
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class LotQuerySet(models.QuerySet):
    def expiring(self, *, site_ids, within_days: int, today=None):
        """Lots at these sites that expire within the window (or have expired) and still hold
        stock somewhere."""
        today = today or timezone.localdate()
        horizon = today + timedelta(days=within_days)
        return (
            self.filter(site_id__in=site_ids, expires_on__lte=horizon, holdings__balance_mg__gt=0)
            .distinct()
            .select_related("drug", "site")
            .order_by("expires_on")
        )


class Lot(models.Model):
    """One manufacturer's batch of a drug received at a site."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="drug_lots")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="lots")
    batch_number = models.CharField(_("batch number"), max_length=50)
    expires_on = models.DateField(_("expiry date"))

    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["drug", "expires_on", "batch_number"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "drug", "batch_number"], name="lot_unique_per_site_and_drug"
            )
        ]

    def __str__(self):
        return f"{self.drug} {self.batch_number}"

    def is_expired(self, today=None) -> bool:
        return self.expires_on < (today or timezone.localdate())


class HoldingQuerySet(models.QuerySet):
    def at(self, site):
        return self.filter(safe__site=site)

    def in_stock(self):
        return self.filter(balance_mg__gt=0)

    def for_pages(self):
        return self.select_related("lot__drug", "safe__site").order_by(
            "lot__drug__inn", "lot__expires_on", "safe__name"
        )


class Holding(models.Model):
    """The head of one ledger chain: a lot kept in one safe.

    Appends lock this row (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
    already hold the write lock), so two nurses drawing from the same lot at once get
    consecutive sequence numbers and a correct balance.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="holdings")
    safe = models.ForeignKey(Safe, on_delete=models.PROTECT, related_name="holdings")
    balance_mg = models.DecimalField(_("balance, mg"), default=ZERO, **MG)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        ordering = ["lot", "safe"]
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        constraints = [
            models.UniqueConstraint(fields=["lot", "safe"], name="one_holding_per_lot_and_safe"),
            models.CheckConstraint(
                condition=Q(balance_mg__gte=0), name="holding_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.lot} — {self.safe.name}"

    @property
    def units_label(self) -> str:
        """The balance in units of account and mg ("2 ampoules (200 mg)"), as a count shows
        it. Single-use ampoules leave the safe whole, so their balance has no part of one."""
        return self.lot.drug.count_label(self.balance_mg)


class Kind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ADMINISTRATION = "administration", _("Administration")
    RESIDUE_DESTRUCTION = "residue_destruction", _("Residue destroyed")
    DESTRUCTION = "destruction", _("Write-off and destruction")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    COUNT_ADJUSTMENT = "count_adjustment", _("Count adjustment")
    REVERSAL = "reversal", _("Reversal")


# Movements that need a second person who authenticated in the same flow (brief item 4).
WITNESSED_KINDS = frozenset(
    {
        Kind.RESIDUE_DESTRUCTION,
        Kind.DESTRUCTION,
        Kind.COUNT_ADJUSTMENT,
        Kind.REVERSAL,
    }
)
# How each kind moves the balance: +1 in, -1 out, 0 none (the residue of an ampoule already
# taken out of the safe), None either way (adjustments and reversals carry their own sign).
DIRECTION = {
    Kind.RECEIPT: 1,
    Kind.TRANSFER_IN: 1,
    Kind.ADMINISTRATION: -1,
    Kind.DESTRUCTION: -1,
    Kind.TRANSFER_OUT: -1,
    Kind.RESIDUE_DESTRUCTION: 0,
    Kind.COUNT_ADJUSTMENT: None,
    Kind.REVERSAL: None,
}


class EntryQuerySet(models.QuerySet):
    def at_sites(self, site_ids):
        return self.filter(site_id__in=site_ids)

    def for_pages(self):
        return self.select_related(
            "lot", "drug", "safe", "site", "actor", "witness", "patient", "reverses", "reversed_by"
        )

    def with_destroyed_mg(self):
        """Each administration with `destroyed_mg`: its residue destroyed and not reversed."""
        destroyed = models.Subquery(
            LedgerEntry.objects.filter(
                administration=models.OuterRef("pk"),
                kind=Kind.RESIDUE_DESTRUCTION,
                reversed_by__isnull=True,
            )
            .values("administration")
            .annotate(total=models.Sum("quantity_mg"))
            .values("total")
        )
        return self.annotate(destroyed_mg=models.functions.Coalesce(destroyed, ZERO))

    def administrations_pending_residue(self, site_ids):
        """Administrations whose drawn amount is not yet accounted for by administered plus
        destroyed (and that were not reversed)."""
        return (
            self.filter(site_id__in=site_ids, kind=Kind.ADMINISTRATION, reversed_by__isnull=True)
            .with_destroyed_mg()
            .filter(drawn_mg__gt=F("administered_mg") + F("destroyed_mg"))
        )


class LedgerEntry(models.Model):
    """One movement in the register. Written once by a service, never changed.

    `quantity_mg` is the amount the movement is about (always positive); `change_mg` is what it
    does to the holding's balance (signed; zero for a residue destroyed from an ampoule already
    taken out). `balance_after_mg` is the running balance of the holding after this entry.
    """

    APPEND_ONLY = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="entries")
    # The chain key, stored on the row so the hash covers it and reports need no joins.
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="entries")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    safe = models.ForeignKey(Safe, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(_("movement"), max_length=30, choices=Kind.choices)
    quantity_mg = models.DecimalField(_("quantity, mg"), **MG)
    change_mg = models.DecimalField(_("change, mg"), **MG)
    balance_after_mg = models.DecimalField(_("balance, mg"), **MG)
    recorded_at = models.DateTimeField(_("recorded"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason or note"), max_length=500, blank=True)
    # Receipts: the supplier's document (invoice); destruction: the act number.
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, null=True, blank=True)
    document_number = models.CharField(_("document number"), max_length=50, blank=True)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    # Administration.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The infusion session this administration belongs to, once sessions exist.
    clinical_reference = models.UUIDField(null=True, blank=True, db_index=True)
    drawn_mg = models.DecimalField(_("drawn, mg"), null=True, blank=True, **MG)
    administered_mg = models.DecimalField(_("administered, mg"), null=True, blank=True, **MG)
    # Residue destruction: the administration whose ampoule residue was destroyed.
    administration = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="residue_entries"
    )
    # Reversal: the entry it cancels. One-to-one: at most one reversal per entry.
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # Transfers: both halves carry the same id.
    transfer_id = models.UUIDField(null=True, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        constraints = [
            models.UniqueConstraint(fields=["holding", "seq"], name="entry_seq_unique_per_holding"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="entry_seq_positive"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="entry_kind_known"),
            models.CheckConstraint(condition=Q(quantity_mg__gt=0), name="entry_quantity_positive"),
            models.CheckConstraint(
                condition=Q(balance_after_mg__gte=0), name="entry_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(change_mg=F("quantity_mg"))
                | Q(change_mg=-F("quantity_mg"))
                | Q(change_mg=0, kind__in=[Kind.RESIDUE_DESTRUCTION, Kind.REVERSAL]),
                name="entry_change_matches_quantity",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=WITNESSED_KINDS)
                | (Q(witness__isnull=False) & ~Q(witness=F("actor"))),
                name="entry_witness_differs_from_actor",
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=F("actor")),
                name="entry_witness_is_another_person",
            ),
            models.CheckConstraint(
                condition=(Q(kind=Kind.REVERSAL) & Q(reverses__isnull=False))
                | (~Q(kind=Kind.REVERSAL) & Q(reverses__isnull=True)),
                name="entry_reversal_references_original",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.ADMINISTRATION)
                | Q(
                    patient__isnull=False,
                    drawn_mg=F("quantity_mg"),
                    administered_mg__gte=0,
                    administered_mg__lte=F("drawn_mg"),
                ),
                name="entry_administration_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.RESIDUE_DESTRUCTION) | Q(administration__isnull=False),
                name="entry_residue_names_administration",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[Kind.TRANSFER_IN, Kind.TRANSFER_OUT])
                | Q(transfer_id__isnull=False),
                name="entry_transfer_has_id",
            ),
        ]

    def __str__(self):
        return f"{self.lot} #{self.seq} {self.get_kind_display()}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversed_by")

    @property
    def units_label(self) -> str:
        """The quantity in units and mg ("1 ampoule (100 mg)")."""
        return self.drug.count_label(self.quantity_mg)

    @property
    def residue_mg(self) -> Decimal | None:
        if self.kind != Kind.ADMINISTRATION:
            return None
        return self.drawn_mg - self.administered_mg


class StockCount(models.Model):
    """A physical count of one safe (at a shift change or the end of the day)."""

    APPEND_ONLY = True

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    safe = models.ForeignKey(Safe, on_delete=models.PROTECT, related_name="counts")
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(_("counted"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-counted_at", "-id"]
        verbose_name = _("count")
        verbose_name_plural = _("counts")
        constraints = [
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=F("actor")),
                name="count_witness_is_another_person",
            )
        ]

    def __str__(self):
        return f"{self.safe} {self.counted_at:%Y-%m-%d %H:%M}"


class CountLineQuerySet(models.QuerySet):
    def open_discrepancies(self, site_ids):
        return self.filter(
            count__site_id__in=site_ids, adjustment__isnull=False, resolution__isnull=True
        )


class StockCountLine(models.Model):
    """Expected against counted for one holding; a difference carries its explanation and the
    adjustment entry that brought the register in line with the safe."""

    APPEND_ONLY = True

    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="+")
    expected_mg = models.DecimalField(_("expected, mg"), **MG)
    counted_mg = models.DecimalField(_("counted, mg"), **MG)
    explanation = models.CharField(_("explanation"), max_length=500, blank=True)
    adjustment = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="count_line"
    )

    objects = CountLineQuerySet.as_manager()

    class Meta:
        ordering = ["count", "id"]
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(counted_mg__gte=0, expected_mg__gte=0), name="count_line_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(counted_mg=F("expected_mg"))
                | (Q(adjustment__isnull=False) & ~Q(explanation="")),
                name="count_discrepancy_explained_and_adjusted",
            ),
        ]

    def __str__(self):
        return f"{self.count}: {self.holding_id}"

    @property
    def difference_mg(self) -> Decimal:
        return self.counted_mg - self.expected_mg


class DiscrepancyResolution(models.Model):
    """How a discrepancy found in a count was settled (investigation outcome)."""

    APPEND_ONLY = True

    line = models.OneToOneField(StockCountLine, on_delete=models.PROTECT, related_name="resolution")
    text = models.CharField(_("resolution"), max_length=1000)
    resolved_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("discrepancy resolution")
        verbose_name_plural = _("discrepancy resolutions")

    def __str__(self):
        return self.text[:60]


class LedgerAnchor(models.Model):
    """A day's record of each chain's head (last sequence number and hash), kept apart from the
    chain: deleting the newest entries of a chain leaves a valid shorter chain, which only a
    record made earlier can reveal (security.md §4.2)."""

    APPEND_ONLY = True

    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="anchors")
    day = models.DateField()
    last_seq = models.PositiveBigIntegerField()
    last_hash = models.CharField(max_length=64)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["day", "holding"]
        verbose_name = _("ledger anchor")
        verbose_name_plural = _("ledger anchors")
        constraints = [
            models.UniqueConstraint(fields=["holding", "day"], name="one_anchor_per_holding_a_day")
        ]

    def __str__(self):
        return f"{self.day} {self.holding_id}:{self.last_seq}"
