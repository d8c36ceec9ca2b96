"""Prices, packages, charges, invoices, credit notes, payments and fiscal receipts.

Every amount is a whole number of kopecks (`*_kopecks`, see money.py). Ledger rows (charges,
credit notes, payments, refunds) are never edited or deleted: a mistake is corrected by a
credit note or a refund, and a patient's balance is the sum of their rows (selectors.balance).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Vat(models.TextChoices):
    # Medical services are VAT-exempt in Ukraine (Tax Code art. 197.1.5); the rate is kept per
    # price so a clinic registered differently records what applies to it.
    EXEMPT = "exempt", _("Exempt from VAT")
    RATE_20 = "vat20", _("VAT 20%")
    RATE_7 = "vat7", _("VAT 7%")
    NOT_PAYER = "none", _("Not a VAT payer")


class SiteBilling(models.Model):
    """A site's fee policy and who sees money there: clinic data, edited by the administrator."""

    site = models.OneToOneField(
        "locations.Site", on_delete=models.PROTECT, related_name="billing", verbose_name=_("site")
    )
    notice_hours = models.PositiveSmallIntegerField(
        _("notice for cancelling, hours"),
        default=24,
        help_text=_("A visit cancelled later than this before it starts is charged."),
    )
    late_cancel_percent = models.PositiveSmallIntegerField(
        _("late cancellation fee, percent of the price"), default=0
    )
    no_show_percent = models.PositiveSmallIntegerField(
        _("missed visit fee, percent of the price"), default=0
    )
    clinical_staff_see_balances = models.BooleanField(
        _("clinical staff see balances"), default=False
    )
    provenance = models.CharField(_("source of the policy"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("billing settings of a site")
        constraints = [
            models.CheckConstraint(
                condition=Q(late_cancel_percent__lte=100, no_show_percent__lte=100),
                name="billing_fee_percent_at_most_100",
            ),
        ]

    def __str__(self):
        return f"{self.site}"


class PriceQuerySet(models.QuerySet):
    def in_force(self, day):
        return self.filter(valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class Price(models.Model):
    """The price of one visit type (and session kind, where it differs) at a site, for a period.

    A change of price ends the row in force and appends a new one: the history stays.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    visit_type = models.ForeignKey(
        "scheduling.VisitType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("visit type"),
    )
    session_kind = models.CharField(
        _("session kind"),
        max_length=40,
        blank=True,
        help_text=_("Only where the price differs by kind of session; empty for every kind."),
    )
    amount_kopecks = models.PositiveIntegerField(_("price, kopecks"))
    vat = models.CharField(_("VAT"), max_length=8, choices=Vat.choices, default=Vat.EXEMPT)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PriceQuerySet.as_manager()

    class Meta:
        ordering = ["site", "visit_type", "session_kind", "-valid_from"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="billing_price_period_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.visit_type} {self.session_kind} {self.amount_kopecks}".strip()


class Package(models.Model):
    """A package on sale at a site: `units` visits of one type for one price, used within
    `valid_days` of the sale."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "locations.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=120)
    visit_type = models.ForeignKey(
        "scheduling.VisitType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("covers visits of type"),
    )
    units = models.PositiveSmallIntegerField(_("visits"))
    price_kopecks = models.PositiveIntegerField(_("price, kopecks"))
    vat = models.CharField(_("VAT"), max_length=8, choices=Vat.choices, default=Vat.EXEMPT)
    valid_days = models.PositiveSmallIntegerField(_("valid for, days"), default=90)
    is_active = models.BooleanField(_("on sale"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        constraints = [
            models.CheckConstraint(
                condition=Q(units__gte=1, units__lte=100), name="billing_package_units_1_to_100"
            ),
        ]

    def __str__(self):
        return self.name


class PatientPackage(models.Model):
    """A package sold to a patient: its units are consumed by completed visits of its type."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="packages"
    )
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="sales")
    units = models.PositiveSmallIntegerField()
    price_kopecks = models.PositiveIntegerField()
    expires_on = models.DateField()
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sold_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sold_at"]

    def __str__(self):
        return f"{self.package} ({self.patient_id})"


class Invoice(models.Model):
    """A patient's invoice: the charges it lists are fixed once it is issued."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=30, unique=True)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="invoices"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    total_kopecks = models.IntegerField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


class Charge(models.Model):
    """One thing the patient owes for: a visit, a package, a late cancellation or a missed visit.

    A visit consuming a package unit is a charge of 0 naming the package. One charge per visit
    at most (the unique constraint), whichever way the visit ended.
    """

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        PACKAGE = "package", _("Package")
        LATE_CANCEL = "late_cancel", _("Late cancellation")
        NO_SHOW = "no_show", _("Missed visit")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="charges"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=200)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    visit_type = models.ForeignKey(
        "scheduling.VisitType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    price = models.ForeignKey(
        Price, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient_package = models.ForeignKey(
        PatientPackage, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    amount_kopecks = models.PositiveIntegerField()
    discount_kopecks = models.PositiveIntegerField(default=0)
    discount_reason = models.CharField(max_length=200, blank=True)
    discount_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    vat = models.CharField(max_length=8, choices=Vat.choices, default=Vat.EXEMPT)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False),
                name="billing_one_charge_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(discount_kopecks__lte=F("amount_kopecks")),
                name="billing_discount_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(discount_kopecks=0) | ~Q(discount_reason=""),
                name="billing_discount_has_reason",
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def net_kopecks(self) -> int:
        return self.amount_kopecks - self.discount_kopecks


class CreditNote(models.Model):
    """A correction of a charge: the charge stays as it was, this row takes an amount off."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=30, unique=True)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="credit_notes")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="credit_notes"
    )
    amount_kopecks = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="billing_credit_positive"
            ),
        ]

    def __str__(self):
        return self.number


class Payment(models.Model):
    """Money taken from (or, as a refund, given back to) a patient at a site by a cashier."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card terminal")
        TRANSFER = "transfer", _("Bank transfer")
        ONLINE = "online", _("Online payment link")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="payments"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PAYMENT)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    amount_kopecks = models.PositiveIntegerField()
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    note = models.CharField(max_length=200, blank=True)
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [models.Index(fields=["site", "taken_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="billing_payment_positive"
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", refund_of__isnull=True)
                | Q(kind="refund", refund_of__isnull=False),
                name="billing_refund_names_its_payment",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_kopecks}"

    @property
    def signed_kopecks(self) -> int:
        """What the payment takes off the balance (a refund adds back)."""
        return -self.amount_kopecks if self.kind == self.Kind.REFUND else self.amount_kopecks


class PaymentRequest(models.Model):
    """A request to pay an amount online: the provider's link, sent to the patient.

    The provider reports the outcome to the callback; a "paid" report records one Payment,
    once: `provider_payment_id` is unique, so a report repeated or replayed records nothing.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="payment_requests"
    )
    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    amount_kopecks = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    provider_id = models.CharField(max_length=100, unique=True)
    url = models.CharField(max_length=500)
    channel = models.CharField(max_length=10)
    expires_at = models.DateTimeField()
    provider_payment_id = models.CharField(max_length=100, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="request"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_kopecks__gt=0), name="billing_request_positive"
            ),
            models.UniqueConstraint(
                fields=["provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="billing_one_payment_per_provider_payment",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(payment__isnull=False),
                name="billing_paid_request_has_payment",
            ),
        ]

    def __str__(self):
        return f"{self.amount_kopecks} ({self.get_status_display()})"

    @property
    def shown_status(self) -> str:
        """The status as the account shows it: a sent link past its time has expired."""
        if self.status == self.Status.SENT and self.expires_at <= timezone.now():
            return self.Status.EXPIRED.label
        return self.get_status_display()


class FiscalReceipt(models.Model):
    """The registration of one payment or refund with the PRRO (software cash register).

    The attempts are an outbox delivery (`delivery`, channel "fiscal"): enqueued in the
    payment's transaction, sent by the worker with the outbox's backoff, dead-lettered after
    its attempts and sent again by hand. `key` is sent as the idempotency key on every
    attempt, so a retry after a lost answer finds the first registration instead of making a
    second.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be registered")
        REGISTERED = "registered", _("Registered")

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    fiscal_number = models.CharField(max_length=64, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    # Empty only for receipts registered before registrations went through the outbox.
    delivery = models.OneToOneField(
        "core.OutboxMessage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fiscal_receipt",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="registered") | ~Q(fiscal_number=""),
                name="billing_registered_receipt_has_number",
            ),
        ]

    def __str__(self):
        return self.fiscal_number or str(self.key)

    @property
    def failed(self) -> bool:
        """Every attempt failed: the registration waits for a person to retry it."""
        return (
            self.status == self.Status.PENDING
            and self.delivery is not None
            and self.delivery.status == self.delivery.Status.DEAD
        )

    @property
    def shown_status(self) -> str:
        if self.failed:
            return _("Registration failed")
        return self.get_status_display()


class CashDay(models.Model):
    """One cashier's till at a site on one day: the float at opening, the count at closing."""

    site = models.ForeignKey("locations.Site", on_delete=models.PROTECT, related_name="+")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    opening_kopecks = models.PositiveIntegerField(_("cash at opening, kopecks"))
    counted_kopecks = models.PositiveIntegerField(_("cash counted at closing, kopecks"), null=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "cashier", "day"], name="billing_one_till_a_day"
            ),
        ]

    def __str__(self):
        return f"{self.site} {self.day} {self.cashier}"
