"""Every write of billing: prices, packages, charges, invoices, credit notes, payments, the till
and fiscal registration. Each runs in one transaction with its audit row.

Lock order (docs/architecture.md, "Locks and their order"): the site's `SiteBilling` row
(a site-wide head: it serialises invoice and credit-note numbers), then the record changed
(patient package, payment), then the audit chain, last.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinic.accounts.models import User
from clinic.billing import fiscal, money, online
from clinic.billing.models import (
    CashDay,
    Charge,
    CreditNote,
    FiscalReceipt,
    Invoice,
    Package,
    PatientPackage,
    Payment,
    PaymentRequest,
    Price,
    SiteBilling,
)
from clinic.billing.selectors import balance
from clinic.core.audit import Anonymous, audit
from clinic.core.errors import Refused
from clinic.core.models import OutboxMessage
from clinic.core.outbox import enqueue_message, retry_message
from clinic.treatment.selectors import SESSION_KIND_CHOICES, visit_session_kind

log = logging.getLogger(__name__)


SESSION_KIND_LABELS = dict(SESSION_KIND_CHOICES)


class BillingRefused(Refused):
    code = "billing.refused"


class CallbackRejected(BillingRefused):
    """A payment provider's callback that changes nothing: bad, unknown or replayed."""

    code = "billing.payment_request.callback_rejected"

    def __init__(self, message: str, *, unknown: bool = False):
        super().__init__(message)
        self.unknown = unknown


# The payment service reporting the outcome of a link, through its signed callback.
PAYMENT_PROVIDER = Anonymous("payment-provider")


def site_billing(site, *, lock: bool = False) -> SiteBilling:
    """The site's billing settings (created with no fees on first use)."""
    settings_row, _created = SiteBilling.objects.get_or_create(site=site)
    if lock:
        # Lock order: docs/architecture.md, "Locks and their order" (a site-wide head).
        settings_row = SiteBilling.objects.select_for_update(of=("self",), no_key=True).get(
            pk=settings_row.pk
        )
    return settings_row


# --- Prices and packages ----------------------------------------------------------------


@transaction.atomic
def save_site_billing(site, *, actor, **values) -> SiteBilling:
    """Change a site's fee policy or who sees balances there."""
    row = site_billing(site, lock=True)
    for name, value in values.items():
        setattr(row, name, value)
    if not (0 <= row.late_cancel_percent <= 100 and 0 <= row.no_show_percent <= 100):
        raise BillingRefused(_("A fee is a percentage from 0 to 100."))
    row.changed_by, row.changed_at = actor, timezone.now()
    row.save()
    audit(actor, "billing.policy.changed", site=site, obj=row, reason=str(values)[:300])
    return row


@transaction.atomic
def set_price(
    site, visit_type, *, amount_kopecks: int, vat: str, valid_from, session_kind: str = "", actor
) -> Price:
    """Put a price in force from `valid_from`: the price in force before ends the day before.

    A price already set to start later than `valid_from` is refused: the history is appended
    in date order, never rewritten.
    """
    site_billing(site, lock=True)
    if amount_kopecks < 0:
        raise BillingRefused(_("A price cannot be negative."))
    if session_kind and session_kind not in SESSION_KIND_LABELS:
        raise BillingRefused(_("Choose a session kind from the list."))
    same = Price.objects.filter(site=site, visit_type=visit_type, session_kind=session_kind)
    if same.filter(valid_from__gte=valid_from).exists():
        raise BillingRefused(_("A price for this visit already starts on or after that day."))
    same.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from)).update(
        valid_until=valid_from - timedelta(days=1)
    )
    price = Price.objects.create(
        site=site,
        visit_type=visit_type,
        session_kind=session_kind,
        amount_kopecks=amount_kopecks,
        vat=vat,
        valid_from=valid_from,
        created_by=actor,
    )
    audit(
        actor,
        "billing.price.set",
        site=site,
        obj=price,
        reason=f"{visit_type.code} {session_kind} {amount_kopecks} from {valid_from}".strip(),
    )
    return price


@transaction.atomic
def define_package(
    site, *, name, visit_type, units: int, price_kopecks: int, valid_days: int, vat, actor
) -> Package:
    """Put a package on sale at a site."""
    if not 1 <= units <= 100:
        raise BillingRefused(_("A package covers from 1 to 100 visits."))
    package = Package.objects.create(
        site=site,
        name=name,
        visit_type=visit_type,
        units=units,
        price_kopecks=price_kopecks,
        valid_days=valid_days,
        vat=vat,
        created_by=actor,
    )
    audit(actor, "billing.package.defined", site=site, obj=package, reason=name)
    return package


@transaction.atomic
def withdraw_package(package: Package, *, actor) -> Package:
    """Take a package off sale; packages already sold stay valid."""
    package.is_active = False
    package.save(update_fields=["is_active"])
    audit(actor, "billing.package.withdrawn", site=package.site, obj=package)
    return package


def price_for(site, visit_type, day, session_kind: str = "") -> Price | None:
    """The price in force on `day`: the session kind's own price, else the visit type's."""
    prices = Price.objects.in_force(day).filter(site=site, visit_type=visit_type)
    if session_kind:
        own = prices.filter(session_kind=session_kind).first()
        if own:
            return own
    return prices.filter(session_kind="").first()


def _discount(amount: int, discount_kopecks: int, reason: str, actor) -> dict:
    reason = (reason or "").strip()
    if discount_kopecks < 0 or discount_kopecks > amount:
        raise BillingRefused(_("A discount is between nothing and the whole price."))
    if discount_kopecks and not reason:
        raise BillingRefused(_("Give the reason for the discount."))
    if not discount_kopecks:
        return {}
    return {"discount_kopecks": discount_kopecks, "discount_reason": reason, "discount_by": actor}


@transaction.atomic
def sell_package(
    patient, package: Package, *, actor, discount_kopecks: int = 0, discount_reason: str = ""
) -> PatientPackage:
    """Sell a package: the patient owes its price (less any discount) as one charge."""
    if not package.is_active:
        raise BillingRefused(_("This package is no longer on sale."))
    discount = _discount(package.price_kopecks, discount_kopecks, discount_reason, actor)
    sold = PatientPackage.objects.create(
        patient=patient,
        package=package,
        units=package.units,
        price_kopecks=package.price_kopecks,
        expires_on=timezone.localdate() + timedelta(days=package.valid_days),
        sold_by=actor,
    )
    charge = Charge.objects.create(
        patient=patient,
        site=package.site,
        kind=Charge.Kind.PACKAGE,
        description=package.name,
        visit_type=package.visit_type,
        patient_package=sold,
        amount_kopecks=package.price_kopecks,
        vat=package.vat,
        created_by=actor,
        **discount,
    )
    audit(actor, "billing.package.sold", patient, site=package.site, obj=charge)
    return sold


# --- Charges from visits (scheduling.hooks) ---------------------------------------------


def _usable_package(appointment) -> PatientPackage | None:
    """The patient's oldest package of this visit type with a unit left, locked."""
    candidates = (
        PatientPackage.objects.filter(
            patient=appointment.patient,
            package__visit_type=appointment.visit_type,
            expires_on__gte=timezone.localdate(),
        )
        .annotate(used=Count("charges", filter=~Q(charges__kind=Charge.Kind.PACKAGE)))
        .filter(used__lt=F("units"))
        .order_by("sold_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in candidates[:1]:
        # Lock order: docs/architecture.md, "Locks and their order" (the record, after the
        # appointment). Counted again under the lock: another visit may have taken the unit.
        package = PatientPackage.objects.select_for_update(of=("self",), no_key=True).get(pk=pk)
        if package.charges.exclude(kind=Charge.Kind.PACKAGE).count() < package.units:
            return package
    return None


def charge_completed_visit(appointment, *, actor) -> Charge | None:
    """A completed visit consumes a package unit, else is charged at the price in force: the
    price of its session kind (a TES session's stimulation, a session note's kind) where
    one is set, else its visit type's.

    Runs inside `complete_appointment`'s transaction. Without a price nothing is charged (a
    visit type the centre does not bill); a visit already charged is left as it is.
    """
    if Charge.objects.filter(appointment=appointment).exists():
        return None
    package = _usable_package(appointment)
    if package is not None:
        used = package.charges.exclude(kind=Charge.Kind.PACKAGE).count() + 1
        name = appointment.visit_type.name
        charge = Charge.objects.create(
            patient=appointment.patient,
            site=appointment.site,
            kind=Charge.Kind.VISIT,
            description=f"{name} ({package.package.name}, {used}/{package.units})",
            appointment=appointment,
            visit_type=appointment.visit_type,
            patient_package=package,
            amount_kopecks=0,
            created_by=actor,
        )
        audit(actor, "billing.package.unit_used", appointment.patient, obj=charge)
        return charge
    day = timezone.localtime(appointment.starts_at).date()
    kind = visit_session_kind(appointment)
    price = price_for(appointment.site, appointment.visit_type, day, session_kind=kind)
    if price is None:
        return None
    description = appointment.visit_type.name
    if price.session_kind:
        description = f"{description} ({SESSION_KIND_LABELS[price.session_kind]})"
    charge = Charge.objects.create(
        patient=appointment.patient,
        site=appointment.site,
        kind=Charge.Kind.VISIT,
        description=description,
        appointment=appointment,
        visit_type=appointment.visit_type,
        price=price,
        amount_kopecks=price.amount_kopecks,
        vat=price.vat,
        created_by=actor,
    )
    audit(actor, "billing.charged", appointment.patient, obj=charge)
    return charge


def _fee(appointment, kind, percent: int, actor) -> Charge | None:
    if percent <= 0 or Charge.objects.filter(appointment=appointment).exists():
        return None
    day = timezone.localtime(appointment.starts_at).date()
    price = price_for(appointment.site, appointment.visit_type, day)
    if price is None:
        return None
    amount = money.percent_of(price.amount_kopecks, percent)
    if amount == 0:
        return None
    charge = Charge.objects.create(
        patient=appointment.patient,
        site=appointment.site,
        kind=kind,
        description=f"{Charge.Kind(kind).label}: {appointment.visit_type.name}",
        appointment=appointment,
        visit_type=appointment.visit_type,
        price=price,
        amount_kopecks=amount,
        vat=price.vat,
        created_by=actor,
    )
    audit(actor, "billing.fee_charged", appointment.patient, obj=charge, reason=f"{percent}%")
    return charge


def charge_late_cancellation(appointment, *, actor) -> Charge | None:
    """A visit cancelled inside the site's notice period is charged its policy's share.

    The fee stands whoever pressed the button; a cancellation the centre caused is waived by
    a credit note with its reason.
    """
    policy = SiteBilling.objects.filter(site=appointment.site).first()
    if policy is None:
        return None  # no fee policy at the site: nothing is charged
    if appointment.starts_at - timezone.now() >= timedelta(hours=policy.notice_hours):
        return None
    return _fee(appointment, Charge.Kind.LATE_CANCEL, policy.late_cancel_percent, actor)


def charge_missed_visit(appointment, *, actor) -> Charge | None:
    """A visit the patient did not attend is charged its policy's share."""
    policy = SiteBilling.objects.filter(site=appointment.site).first()
    if policy is None:
        return None
    return _fee(appointment, Charge.Kind.NO_SHOW, policy.no_show_percent, actor)


@transaction.atomic
def discount_charge(charge: Charge, *, discount_kopecks: int, reason: str, actor) -> Charge:
    """Give a discount on a charge not yet invoiced (afterwards: a credit note)."""
    charge = Charge.objects.select_for_update(of=("self",), no_key=True).get(pk=charge.pk)
    if charge.invoice_id is not None:
        raise BillingRefused(_("The charge is invoiced: correct it with a credit note."))
    if charge.discount_kopecks:
        raise BillingRefused(_("The charge already has a discount."))
    values = _discount(charge.amount_kopecks, discount_kopecks, reason, actor)
    if not values:
        raise BillingRefused(_("Give the amount of the discount."))
    for name, value in values.items():
        setattr(charge, name, value)
    charge.save(update_fields=list(values))
    audit(
        actor,
        "billing.discount.given",
        charge.patient,
        obj=charge,
        reason=f"{discount_kopecks}: {values['discount_reason']}",
    )
    return charge


# --- Invoices and credit notes ----------------------------------------------------------


def _next_number(model, prefix: str, site) -> str:
    # Serialised by the SiteBilling row the caller holds.
    year = timezone.localdate().year
    stem = f"{prefix}-{site.code.upper()}-{year}-"
    count = model.objects.filter(number__startswith=stem).count()
    return f"{stem}{count + 1:05d}"


@transaction.atomic
def issue_invoice(patient, *, site, actor) -> Invoice:
    """Invoice the patient's charges at the site that no invoice lists yet."""
    site_billing(site, lock=True)
    charges = list(
        Charge.objects.filter(patient=patient, site=site, invoice__isnull=True).order_by("pk")
    )
    if not charges:
        raise BillingRefused(_("Nothing to invoice: every charge is on an invoice already."))
    invoice = Invoice.objects.create(
        number=_next_number(Invoice, "INV", site),
        patient=patient,
        site=site,
        total_kopecks=sum(charge.net_kopecks for charge in charges),
        issued_by=actor,
    )
    Charge.objects.filter(pk__in=[c.pk for c in charges]).update(invoice=invoice)
    audit(actor, "billing.invoice.issued", patient, site=site, obj=invoice)
    return invoice


def credited(charge: Charge) -> int:
    return charge.credit_notes.aggregate(total=Sum("amount_kopecks"))["total"] or 0


@transaction.atomic
def issue_credit_note(charge: Charge, *, amount_kopecks: int, reason: str, actor) -> CreditNote:
    """Take an amount off a charge, with the reason; the charge itself stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingRefused(_("Give the reason for the credit note."))
    site_billing(charge.site, lock=True)
    charge = Charge.objects.select_for_update(of=("self",), no_key=True).get(pk=charge.pk)
    if amount_kopecks <= 0 or amount_kopecks > charge.net_kopecks - credited(charge):
        raise BillingRefused(_("A credit note is at most what is left of the charge."))
    note = CreditNote.objects.create(
        number=_next_number(CreditNote, "CN", charge.site),
        charge=charge,
        patient=charge.patient,
        amount_kopecks=amount_kopecks,
        reason=reason[:300],
        created_by=actor,
    )
    audit(actor, "billing.credit_note.issued", charge.patient, site=charge.site, obj=note)
    return note


# --- Payments, refunds and the till -----------------------------------------------------


def _receipt_for(payment: Payment) -> FiscalReceipt:
    """The payment's receipt and its registration, queued in the payment's transaction: the
    worker registers it after the commit, never the request that took the money."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Fiscal receipt")
        body = _("%(kind)s of %(amount)s UAH (%(method)s), %(site)s") % {
            "kind": payment.get_kind_display(),
            "amount": money.format_uah(payment.amount_kopecks),
            "method": payment.get_method_display(),
            "site": payment.site.name,
        }
    receipt = FiscalReceipt(payment=payment)
    receipt.delivery = enqueue_message(
        channel=OutboxMessage.Channel.FISCAL,
        recipient="PRRO",
        subject=subject,
        body=body,
        site=payment.site,
        dedupe_key=f"fiscal-registration-{receipt.key}",
    )
    receipt.save()
    return receipt


@transaction.atomic
def take_payment(
    patient,
    *,
    site,
    method: str,
    amount_kopecks: int,
    actor,
    invoice: Invoice | None = None,
    note: str = "",
) -> Payment:
    """Take money from a patient (paying an invoice, or in advance); its fiscal receipt is
    registered by the worker after the commit (an outbox delivery) and retried until it is."""
    if amount_kopecks <= 0:
        raise BillingRefused(_("The amount must be more than nothing."))
    if method not in Payment.Method.values:
        raise BillingRefused(_("Choose how the patient pays."))
    if invoice is not None and invoice.patient_id != patient.pk:
        raise BillingRefused(_("The invoice is another patient's."))
    payment = Payment.objects.create(
        patient=patient,
        site=site,
        method=method,
        amount_kopecks=amount_kopecks,
        invoice=invoice,
        note=note[:200],
        cashier=actor,
    )
    _receipt_for(payment)
    audit(actor, "billing.payment.taken", patient, site=site, obj=payment)
    return payment


def refunded(payment: Payment) -> int:
    return payment.refunds.aggregate(total=Sum("amount_kopecks"))["total"] or 0


@transaction.atomic
def refund_payment(
    payment: Payment, *, amount_kopecks: int, reason: str, actor, site=None
) -> Payment:
    """Give money back against a payment, by the same method; registered like a payment."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingRefused(_("Give the reason for the refund."))
    # Lock order: docs/architecture.md, "Locks and their order" (the record changed).
    payment = Payment.objects.select_for_update(of=("self",), no_key=True).get(pk=payment.pk)
    if payment.kind != Payment.Kind.PAYMENT:
        raise BillingRefused(_("Only a payment can be refunded."))
    if amount_kopecks <= 0 or amount_kopecks > payment.amount_kopecks - refunded(payment):
        raise BillingRefused(_("A refund is at most what is left of the payment."))
    refund = Payment.objects.create(
        patient=payment.patient,
        site=site or payment.site,
        kind=Payment.Kind.REFUND,
        method=payment.method,
        amount_kopecks=amount_kopecks,
        invoice=payment.invoice,
        refund_of=payment,
        note=reason[:200],
        cashier=actor,
    )
    _receipt_for(refund)
    audit(
        actor,
        "billing.payment.refunded",
        payment.patient,
        site=refund.site,
        obj=refund,
        reason=reason,
    )
    return refund


@transaction.atomic
def open_till(site, *, day, opening_kopecks: int, actor) -> CashDay:
    """Start a cashier's day at a site with the cash in the drawer."""
    if CashDay.objects.filter(site=site, cashier=actor, day=day).exists():
        raise BillingRefused(_("Your till for this day is open already."))
    till = CashDay.objects.create(
        site=site, cashier=actor, day=day, opening_kopecks=opening_kopecks
    )
    audit(actor, "billing.till.opened", site=site, obj=till, reason=str(opening_kopecks))
    return till


@transaction.atomic
def close_till(till: CashDay, *, counted_kopecks: int, actor) -> CashDay:
    """Close a cashier's day with the cash counted; the report shows any difference."""
    till = CashDay.objects.select_for_update(of=("self",), no_key=True).get(pk=till.pk)
    if till.cashier_id != actor.pk:
        raise BillingRefused(_("Only the cashier of a till closes it."))
    if till.closed_at is not None:
        raise BillingRefused(_("The till is closed already."))
    till.counted_kopecks, till.closed_at = counted_kopecks, timezone.now()
    till.save(update_fields=["counted_kopecks", "closed_at"])
    audit(actor, "billing.till.closed", site=till.site, obj=till, reason=str(counted_kopecks))
    return till


# --- Fiscal registration ----------------------------------------------------------------


def register_with_prro(message: OutboxMessage) -> str:
    """The outbox's sender for the fiscal channel: one attempt to register the message's
    receipt, outside any transaction; returns the fiscal number or raises DeliveryError.

    The outbox holds a lease on the message, so two workers never send it at once; the PRRO
    gets the receipt's key on every attempt, so an answer lost on the way back makes the next
    attempt find the same registration, not a second one.
    """
    receipt = FiscalReceipt.objects.select_related("payment__site").get(delivery=message)
    if receipt.status == FiscalReceipt.Status.REGISTERED:
        return receipt.fiscal_number  # recorded, but the outbox's own record was lost
    number = fiscal.provider().register(receipt)
    _record_registered(receipt, number)
    return number


@transaction.atomic
def _record_registered(receipt: FiscalReceipt, number: str) -> None:
    # Lock order: docs/architecture.md, "Locks and their order" (the record changed).
    receipt = (
        FiscalReceipt.objects.select_for_update(of=("self",), no_key=True)
        .select_related("payment__site", "payment__patient")
        .get(pk=receipt.pk)
    )
    if receipt.status == FiscalReceipt.Status.REGISTERED:
        return
    receipt.status, receipt.fiscal_number = FiscalReceipt.Status.REGISTERED, number
    receipt.registered_at = timezone.now()
    receipt.save(update_fields=["status", "fiscal_number", "registered_at"])
    payment = receipt.payment
    patient = payment.patient
    # The payer gets the receipt by the channel they chose, else by e-mail when there is one.
    address = patient.message_address() or (("email", patient.email) if patient.email else None)
    if address is not None:
        channel, recipient = address
        with translation.override(patient.preferred_language):
            subject = _("Your receipt")
            body = _("Fiscal receipt %(number)s: %(amount)s UAH (%(kind)s), %(site)s.") % {
                "number": number,
                "amount": money.format_uah(payment.amount_kopecks),
                "kind": payment.get_kind_display(),
                "site": payment.site.name,
            }
        enqueue_message(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            site=payment.site,
            dedupe_key=f"fiscal-receipt-{receipt.key}",
        )
    audit(
        User.objects.system_actor(),
        "billing.receipt.registered",
        patient,
        site=payment.site,
        obj=receipt,
        reason=number,
    )


@transaction.atomic
def retry_receipt(receipt: FiscalReceipt, *, actor) -> FiscalReceipt:
    """Queue a failed registration again (after the PRRO is fixed): its outbox delivery
    starts over, as an administrator's "send again" on the outbox page does."""
    receipt = FiscalReceipt.objects.select_related("payment__patient").get(pk=receipt.pk)
    # Lock order: docs/architecture.md, "Locks and their order" (the record changed): the
    # delivery is checked under its lock, so two people retrying at once queue it once.
    delivery = (
        OutboxMessage.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=receipt.delivery_id)
        .first()
    )
    receipt.delivery = delivery
    if not receipt.failed:
        raise BillingRefused(_("Only a failed registration can be retried."))
    retry_message(delivery, actor=actor)
    audit(
        actor,
        "billing.receipt.retried",
        receipt.payment.patient,
        site=receipt.payment.site,
        obj=receipt,
    )
    return receipt


# --- Online payment links ---------------------------------------------------------------


def request_online_payment(
    patient, *, site, actor, amount_kopecks: int | None = None
) -> PaymentRequest:
    """Ask the payment service for a link for `amount_kopecks` (by default what the patient
    owes) and send it to the patient by their preferred channel.

    The provider is asked first, outside the transaction: a refusal (not configured, no
    answer, no way to reach the patient) writes nothing.
    """
    if amount_kopecks is None:
        amount_kopecks = balance(patient)
    if amount_kopecks <= 0:
        raise BillingRefused(_("The amount must be more than nothing."))
    address = patient.message_address()
    if address is None:
        raise BillingRefused(_("The patient has no phone or e-mail to send the link to."))
    channel, recipient = address
    request = PaymentRequest(
        patient=patient,
        site=site,
        amount_kopecks=amount_kopecks,
        channel=channel,
        expires_at=timezone.now() + timedelta(hours=settings.PAYMENT_LINK_VALID_HOURS),
        created_by=actor,
    )
    try:
        request.provider_id, request.url = online.provider().create_link(request)
    except online.LinkError as exc:
        raise BillingRefused(str(exc)) from exc
    with translation.override(patient.preferred_language):
        subject = _("Payment link")
        body = _("%(site)s: please pay %(amount)s UAH by %(until)s at %(url)s") % {
            "site": site.name,
            "amount": money.format_uah(amount_kopecks),
            "until": timezone.localtime(request.expires_at).strftime("%d.%m.%Y %H:%M"),
            "url": request.url,
        }
    with transaction.atomic():
        request.save()
        enqueue_message(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            site=site,
            dedupe_key=f"payment-link-{request.public_id}",
        )
        audit(
            actor,
            "billing.payment_request.sent",
            patient,
            site=site,
            obj=request,
            reason=str(amount_kopecks),
        )
    return request


CALLBACK_STATUSES = {
    "paid": PaymentRequest.Status.PAID,
    "failed": PaymentRequest.Status.FAILED,
    "expired": PaymentRequest.Status.EXPIRED,
}


def _callback_fields(body: bytes) -> tuple[str, str, str, int | None]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise CallbackRejected("not a JSON object")
    provider_id, status = data.get("id"), data.get("status")
    payment_id, amount = data.get("payment_id") or "", data.get("amount_kopecks")
    if not isinstance(provider_id, str) or status not in CALLBACK_STATUSES:
        raise CallbackRejected("no link id or an unknown status")
    if status == "paid" and (
        not isinstance(payment_id, str)
        or not payment_id
        or type(amount) is not int  # never a float, never a bool
    ):
        raise CallbackRejected("a payment without its id or amount")
    return provider_id[:100], status, str(payment_id)[:100], amount


def _is_replay(request: PaymentRequest, status: str, payment_id: str, amount) -> bool:
    """The report that settled the request, delivered again: same outcome, and for "paid"
    the same provider payment for the same amount."""
    if request.status != CALLBACK_STATUSES[status]:
        return False
    if status != "paid":
        return True
    return request.provider_payment_id == payment_id and request.amount_kopecks == amount


@transaction.atomic
def settle_payment_request(body: bytes, signature: str) -> PaymentRequest:
    """Apply a payment provider's callback: a "paid" report records the Payment (and so its
    fiscal receipt) once; "failed" and "expired" close the request.

    The same report delivered again (providers repeat a callback until they see a 2xx) is
    answered like the first and changes nothing. Anything else changes nothing and raises
    CallbackRejected: a missing or wrong signature, an unknown link (`unknown`), a link that
    ended otherwise, a payment id already recorded, an amount other than the one asked for.
    """
    if not online.signature_is_valid(body, signature):
        raise CallbackRejected("bad signature")
    provider_id, status, payment_id, amount = _callback_fields(body)
    # Lock order: docs/architecture.md, "Locks and their order" (the record changed).
    request = (
        PaymentRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "site")
        .filter(provider_id=provider_id)
        .first()
    )
    if request is None:
        raise CallbackRejected("unknown link", unknown=True)
    if request.status != PaymentRequest.Status.SENT:
        if _is_replay(request, status, payment_id, amount):
            log.info("payment request %s: the %s report again", request.public_id, status)
            return request
        raise CallbackRejected(f"the request is {request.status} already")
    if status == "paid":
        if PaymentRequest.objects.filter(provider_payment_id=payment_id).exists():
            raise CallbackRejected("this payment is recorded already")
        if amount != request.amount_kopecks:
            raise CallbackRejected(f"paid {amount}, asked {request.amount_kopecks}")
        request.payment = take_payment(
            request.patient,
            site=request.site,
            method=Payment.Method.ONLINE,
            amount_kopecks=amount,
            actor=User.objects.system_actor(),
            note=f"online {payment_id}",
        )
        request.provider_payment_id = payment_id
    request.status, request.settled_at = CALLBACK_STATUSES[status], timezone.now()
    request.save(update_fields=["status", "settled_at", "payment", "provider_payment_id"])
    audit(
        PAYMENT_PROVIDER,
        f"billing.payment_request.{status}",
        request.patient,
        site=request.site,
        obj=request,
        reason=payment_id,
    )
    return request
