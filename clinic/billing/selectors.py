"""Reads of billing: balances, a patient's account, the day's cash, and the reports."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.billing import money, online
from clinic.billing.models import (
    CashDay,
    Charge,
    CreditNote,
    FiscalReceipt,
    PatientPackage,
    Payment,
    PaymentRequest,
)
from clinic.core.models import OutboxMessage


def _sum(queryset, expression="amount_kopecks") -> int:
    return queryset.aggregate(total=Coalesce(Sum(expression), Value(0)))["total"]


def balance(patient) -> int:
    """What the patient owes in kopecks (negative: money paid in advance).

    Charges less their discounts, less credit notes, less payments, plus refunds.
    """
    charges = _sum(Charge.objects.filter(patient=patient)) - _sum(
        Charge.objects.filter(patient=patient), "discount_kopecks"
    )
    credits = _sum(CreditNote.objects.filter(patient=patient))
    paid = _sum(Payment.objects.filter(patient=patient, kind=Payment.Kind.PAYMENT))
    refunded = _sum(Payment.objects.filter(patient=patient, kind=Payment.Kind.REFUND))
    return charges - credits - paid + refunded


def invoice_due(invoice) -> int:
    """An invoice's total less its credit notes and the payments allocated to it, net of
    refunds."""
    credits = _sum(CreditNote.objects.filter(charge__invoice=invoice))
    paid = _sum(invoice.payments.filter(kind=Payment.Kind.PAYMENT))
    refunded = _sum(invoice.payments.filter(kind=Payment.Kind.REFUND))
    return invoice.total_kopecks - credits - paid + refunded


def packages_of(patient):
    return (
        PatientPackage.objects.filter(patient=patient)
        .select_related("package")
        .annotate(used=Count("charges", filter=~Q(charges__kind=Charge.Kind.PACKAGE)))
    )


def account(patient) -> dict:
    """Everything the account page shows, in a fixed number of queries."""
    return {
        "balance": balance(patient),
        "charges": list(
            Charge.objects.filter(patient=patient)
            .select_related("invoice", "discount_by")
            .annotate(
                credited=Coalesce(
                    Subquery(
                        CreditNote.objects.filter(charge=OuterRef("pk"))
                        .values("charge")
                        .annotate(total=Sum("amount_kopecks"))
                        .values("total"),
                        output_field=IntegerField(),
                    ),
                    Value(0),
                )
            )
            .order_by("-created_at", "-pk")
        ),
        "payment_requests": list(
            PaymentRequest.objects.filter(patient=patient).select_related("created_by")[:20]
        ),
        "payments": list(
            Payment.objects.filter(patient=patient)
            .select_related("receipt__delivery", "cashier", "invoice")
            .order_by("-taken_at", "-pk")
        ),
        "invoices": list(patient.invoices.all()),
        "credit_notes": list(CreditNote.objects.filter(patient=patient).select_related("charge")),
        "packages": list(packages_of(patient)),
    }


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@dataclass
class Till:
    """A cashier's drawer, or (with no cashier) the payment service's online takings."""

    name: str
    cashier: object = None
    opening: int = 0
    counted: int | None = None
    closed: bool = False
    by_method: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def cash_in(self) -> int:
        return self.by_method.get(Payment.Method.CASH, 0)

    @property
    def expected(self) -> int:
        return self.opening + self.cash_in

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


def cash_report(site, day: date) -> dict:
    """The day's money at a site per cashier: opening float, takings by method (refunds
    subtracted), the cash expected in the drawer, the count and the difference."""
    start, end = _day_bounds(day)
    tills: dict[int | str, Till] = {}
    for till in CashDay.objects.filter(site=site, day=day).select_related("cashier"):
        tills[till.cashier_id] = Till(
            till.cashier.full_name,
            till.cashier,
            till.opening_kopecks,
            till.counted_kopecks,
            till.closed_at is not None,
        )
    payments = Payment.objects.filter(site=site, taken_at__gte=start, taken_at__lt=end)
    rows = payments.values("cashier", "method", "kind").annotate(total=Sum("amount_kopecks"))
    people = {
        p.cashier_id: p.cashier
        for p in payments.exclude(method=Payment.Method.ONLINE).select_related("cashier")
    }
    for row in rows:
        if row["method"] == Payment.Method.ONLINE:
            # Settled by the payment service's callback under the system user: the money
            # is the service's to pay out, not any cashier's, so it has its own row.
            till = tills.setdefault(
                Payment.Method.ONLINE,
                Till(_("Online payment (%(provider)s)") % {"provider": online.provider_name()}),
            )
        else:
            cashier = people[row["cashier"]]
            till = tills.setdefault(row["cashier"], Till(cashier.full_name, cashier))
        sign = -1 if row["kind"] == Payment.Kind.REFUND else 1
        till.by_method[row["method"]] += sign * row["total"]
    totals: dict[str, int] = defaultdict(int)
    for till in tills.values():
        for method, amount in till.by_method.items():
            totals[method] += amount
    return {
        "tills": sorted(
            tills.values(), key=lambda t: (t.cashier is None, t.cashier and t.cashier.email)
        ),
        "totals": dict(totals),
        "net": sum(totals.values()),
        "unregistered": FiscalReceipt.objects.filter(
            payment__in=payments, status=FiscalReceipt.Status.PENDING
        ).count(),
    }


def failed_receipts(site=None):
    """Receipts whose registration used up its attempts (its outbox delivery is dead)."""
    receipts = FiscalReceipt.objects.filter(
        status=FiscalReceipt.Status.PENDING, delivery__status=OutboxMessage.Status.DEAD
    ).select_related("payment__patient", "payment__site", "delivery")
    if site is not None:
        receipts = receipts.filter(payment__site=site)
    return receipts.order_by("payment__taken_at")


def revenue_rows(site=None):
    """Charged amounts net of discounts by site, service and month (credit notes by the month
    they were issued, as negative rows)."""
    charges = Charge.objects.all()
    credits = CreditNote.objects.all()
    if site is not None:
        charges, credits = charges.filter(site=site), credits.filter(charge__site=site)
    rows = defaultdict(int)
    for row in (
        charges.annotate(month=TruncMonth("created_at"))
        .values("site__name", "kind", "visit_type__name", "month")
        .annotate(total=Sum("amount_kopecks"), off=Sum("discount_kopecks"))
    ):
        key = (row["site__name"], row["visit_type__name"] or "", row["kind"], row["month"].date())
        rows[key] += row["total"] - row["off"]
    for row in (
        credits.annotate(month=TruncMonth("created_at"))
        .values("charge__site__name", "charge__kind", "charge__visit_type__name", "month")
        .annotate(total=Sum("amount_kopecks"))
    ):
        key = (
            row["charge__site__name"],
            row["charge__visit_type__name"] or "",
            row["charge__kind"],
            row["month"].date(),
        )
        rows[key] -= row["total"]
    return sorted(
        (site_name, month, Charge.Kind(kind).label, service, amount)
        for (site_name, service, kind, month), amount in rows.items()
    )


def outstanding(site=None):
    """Patients (of a site, by home site) whose balance is not zero, largest debt first:
    four grouped sums whatever the number of patients."""
    from clinic.patients.models import Patient

    totals: dict[int, int] = defaultdict(int)
    filters = {"patient__home_site": site} if site is not None else {}
    for row in (
        Charge.objects.filter(**filters)
        .values("patient")
        .annotate(total=Sum("amount_kopecks"), off=Sum("discount_kopecks"))
    ):
        totals[row["patient"]] += row["total"] - row["off"]
    for row in (
        CreditNote.objects.filter(**filters).values("patient").annotate(total=Sum("amount_kopecks"))
    ):
        totals[row["patient"]] -= row["total"]
    for row in (
        Payment.objects.filter(**filters)
        .values("patient", "kind")
        .annotate(total=Sum("amount_kopecks"))
    ):
        sign = 1 if row["kind"] == Payment.Kind.REFUND else -1
        totals[row["patient"]] += sign * row["total"]
    owing = {pk: amount for pk, amount in totals.items() if amount != 0}
    patients = Patient.objects.in_bulk(list(owing))
    return sorted(((patients[pk], amount) for pk, amount in owing.items()), key=lambda row: -row[1])


def package_usage(site=None):
    sold = PatientPackage.objects.select_related("package__site", "patient").annotate(
        used=Count("charges", filter=~Q(charges__kind=Charge.Kind.PACKAGE))
    )
    if site is not None:
        sold = sold.filter(package__site=site)
    rows = []
    for item in sold.order_by("sold_at"):
        shares = money.split(item.price_kopecks, item.units)
        rows.append((item, item.used, sum(shares[: item.used])))
    return rows
