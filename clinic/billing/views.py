"""Billing pages: the price list, a patient's account, the day's cash, fiscal receipts waiting,
and the reports. Thin views: parse -> service -> redirect or render."""

from datetime import date

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.accounts.roles import Role
from clinic.billing import access, money, online, selectors, services
from clinic.billing.forms import (
    CorrectionForm,
    PackageForm,
    PaymentForm,
    PaymentLinkForm,
    PolicyForm,
    PriceForm,
    SellPackageForm,
    TillForm,
)
from clinic.billing.models import CashDay, CreditNote, Package, Price
from clinic.core.audit import audit
from clinic.core.exports import csv_response, render_pdf
from clinic.core.policy import public, staff
from clinic.core.refusals import audit_refusal, refused
from clinic.locations.selectors import current_site
from clinic.patients.models import Patient

MONEY = (Role.RECEPTIONIST, Role.CASHIER)
ACCOUNT_READERS = (*MONEY, Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)


def _site(request):
    site = current_site(request)
    if site is None:
        raise Http404
    return site


def _show_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _post(request, back, write, success=None, *, form=None, **refusal):
    """The shape of every billing write from a page: a form that does not validate shows its
    errors; else `write(cleaned_data)` runs the service, whose refusal is shown and audited
    (`refusal`: what it concerns), or `success` is shown (a text, or a function of what the
    service returned); then back to `back`."""
    if form is not None and not form.is_valid():
        _show_errors(request, form)
        return back
    try:
        result = write(form.cleaned_data if form is not None else None)
    except services.BillingRefused as exc:
        refused(request, exc, **refusal)
    else:
        if success is not None:
            messages.success(request, success(result) if callable(success) else success)
    return back


# --- Prices -----------------------------------------------------------------------------


@staff(Role.ADMINISTRATOR, *MONEY)
def prices(request):
    site = _site(request)
    may_edit = request.user.has_role(Role.ADMINISTRATOR)
    today = timezone.localdate()
    return render(
        request,
        "billing/prices.html",
        {
            "site": site,
            "prices": Price.objects.filter(site=site).select_related("visit_type", "created_by"),
            "today": today,
            "packages": Package.objects.filter(site=site).select_related("visit_type"),
            "policy": services.site_billing(site),
            "may_edit": may_edit,
            "price_form": PriceForm(initial={"valid_from": today}) if may_edit else None,
            "package_form": PackageForm(initial={"units": 6, "valid_days": 90})
            if may_edit
            else None,
            "policy_form": PolicyForm(instance=services.site_billing(site)) if may_edit else None,
        },
    )


@staff(Role.ADMINISTRATOR)
@require_POST
def set_price(request):
    site = _site(request)
    return _post(
        request, redirect("billing:prices"),
        lambda data: services.set_price(
            site, data["visit_type"], amount_kopecks=data["amount"], vat=data["vat"],
            valid_from=data["valid_from"], session_kind=data["session_kind"], actor=request.user,
        ),
        _("The price is saved."), form=PriceForm(request.POST), site=site,
    )  # fmt: skip


@staff(Role.ADMINISTRATOR)
@require_POST
def define_package(request):
    site = _site(request)
    return _post(
        request, redirect("billing:prices"),
        lambda data: services.define_package(
            site, name=data["name"], visit_type=data["visit_type"], units=data["units"],
            price_kopecks=data["price"], valid_days=data["valid_days"], vat=data["vat"],
            actor=request.user,
        ),
        _("The package is on sale."), form=PackageForm(request.POST), site=site,
    )  # fmt: skip


@staff(Role.ADMINISTRATOR)
@require_POST
def save_policy(request):
    site = _site(request)
    return _post(
        request, redirect("billing:prices"),
        lambda data: services.save_site_billing(site, actor=request.user, **data),
        _("The fee policy is saved."),
        form=PolicyForm(request.POST, instance=services.site_billing(site)), site=site,
    )  # fmt: skip


# --- A patient's account ----------------------------------------------------------------


@staff(*MONEY)
def find(request):
    site = _site(request)
    query = request.GET.get("q", "").strip()[:100]
    found = list(Patient.objects.at(site).matching(query)[:20]) if query else []
    return render(request, "billing/find.html", {"query": query, "found": found, "site": site})


@staff(*ACCOUNT_READERS, object_rule="billing.access.get_account_for")
def account(request, patient_id):
    patient = access.get_account_for(request.user, patient_id)
    audit(request.user, "billing.account.viewed", patient)
    may_take = access.can_take_money(request.user, patient.home_site_id)
    context = {"patient": patient, "may_take": may_take, **selectors.account(patient)}
    context["credit"] = -context["balance"]
    if may_take:
        context["payment_form"] = PaymentForm(patient=patient)
        context["package_form"] = SellPackageForm(site=patient.home_site)
        context["link_form"] = PaymentLinkForm()
    return render(request, "billing/account.html", context)


def _back(patient):
    return redirect("billing:account", patient_id=patient.public_id)


@staff(*MONEY, object_rule="billing.access.get_payable_patient_for")
@require_POST
def take_payment(request, patient_id):
    patient = access.get_payable_patient_for(request.user, patient_id)
    return _post(
        request, _back(patient),
        lambda data: services.take_payment(
            patient, site=_site(request), method=data["method"], amount_kopecks=data["amount"],
            invoice=data["invoice"], actor=request.user,
        ),
        lambda payment: _("Payment of %(amount)s UAH taken.")
        % {"amount": money.format_uah(payment.amount_kopecks)},
        form=PaymentForm(request.POST, patient=patient), patient=patient,
    )  # fmt: skip


@staff(*MONEY, object_rule="billing.access.get_payable_patient_for")
@require_POST
def request_online_payment(request, patient_id):
    patient = access.get_payable_patient_for(request.user, patient_id)
    return _post(
        request, _back(patient),
        lambda data: services.request_online_payment(
            patient, site=_site(request), amount_kopecks=data["amount"], actor=request.user,
        ),
        lambda link: _("A payment link for %(amount)s UAH is on its way to the patient.")
        % {"amount": money.format_uah(link.amount_kopecks)},
        form=PaymentLinkForm(request.POST), patient=patient,
    )  # fmt: skip


@public
@csrf_exempt
@require_POST
def payment_request_callback(request):
    """The payment service reports a link's outcome: a body signed with the shared secret.

    Signature, link and state are checked by the service; whatever it rejects changes
    nothing and is answered 400 (404 for a link we never made), and audited. An accepted
    report, and the same report delivered again, are answered 200 with the link's state.
    """
    try:
        payment_request = services.settle_payment_request(
            request.body, request.headers.get(online.SIGNATURE_HEADER, "")
        )
    except services.CallbackRejected as rejection:
        audit_refusal(request, rejection)
        return HttpResponse(status=404 if rejection.unknown else 400)
    except IntegrityError:
        # The same provider payment settling another link at the same moment: the unique
        # constraint kept it to one payment, and this report changed nothing.
        audit_refusal(request, services.CallbackRejected("this payment is recorded already"))
        return HttpResponse(status=400)
    return JsonResponse({"id": payment_request.provider_id, "status": payment_request.status})


@staff(*MONEY, object_rule="billing.access.get_payable_patient_for")
@require_POST
def sell_package(request, patient_id):
    patient = access.get_payable_patient_for(request.user, patient_id)
    return _post(
        request, _back(patient),
        lambda data: services.sell_package(
            patient, data["package"], discount_kopecks=data["discount"] or 0,
            discount_reason=data["discount_reason"], actor=request.user,
        ),
        _("The package is sold."),
        form=SellPackageForm(request.POST, site=patient.home_site), patient=patient,
    )  # fmt: skip


@staff(*MONEY, object_rule="billing.access.get_payable_patient_for")
@require_POST
def issue_invoice(request, patient_id):
    patient = access.get_payable_patient_for(request.user, patient_id)
    return _post(
        request, _back(patient),
        lambda _data: services.issue_invoice(patient, site=patient.home_site, actor=request.user),
        lambda invoice: _("Invoice %(number)s issued.") % {"number": invoice.number},
        patient=patient,
    )  # fmt: skip


@staff(*MONEY, object_rule="billing.access.get_charge_for")
@require_POST
def correct_charge(request, charge_id):
    """A discount (before invoicing) or a credit note (after)."""
    charge = access.get_charge_for(request.user, charge_id)

    def correct(data):
        amount, reason = data["amount"], data["reason"]
        if charge.invoice_id is None:
            return services.discount_charge(
                charge, discount_kopecks=amount, reason=reason, actor=request.user
            )
        return services.issue_credit_note(
            charge, amount_kopecks=amount, reason=reason, actor=request.user
        )

    return _post(
        request, _back(charge.patient), correct, _("The correction is recorded."),
        form=CorrectionForm(request.POST), patient=charge.patient, obj=charge,
    )  # fmt: skip


@staff(*MONEY, object_rule="billing.access.get_payment_for")
@require_POST
def refund(request, payment_id):
    payment = access.get_payment_for(request.user, payment_id)
    return _post(
        request, _back(payment.patient),
        lambda data: services.refund_payment(
            payment, amount_kopecks=data["amount"], reason=data["reason"], actor=request.user,
            site=_site(request),
        ),
        _("The refund is recorded."),
        form=CorrectionForm(request.POST), patient=payment.patient, obj=payment,
    )  # fmt: skip


@staff(Role.ADMINISTRATOR, *MONEY, object_rule="billing.access.get_invoice_for")
def invoice_pdf(request, invoice_id):
    invoice = access.get_invoice_for(request.user, invoice_id)
    # A diagnosis-free invoice unless a detailed one (for an insurer) is asked for.
    detailed = request.GET.get("detailed") == "1"
    audit(
        request.user,
        "billing.invoice.printed",
        invoice.patient,
        obj=invoice,
        reason="detailed" if detailed else "",
    )
    # In the patient's language unless another is asked for.
    language = request.GET.get("language")
    if language not in ("uk", "en"):
        language = invoice.patient.preferred_language
    with translation.override(language):
        html = render_to_string(
            "billing/invoice_pdf.html",
            {
                "invoice": invoice,
                "charges": invoice.charges.select_related("appointment__practitioner"),
                "credit_notes": CreditNote.objects.filter(charge__invoice=invoice),
                "due": selectors.invoice_due(invoice),
                "detailed": detailed,
            },
            request=request,
        )
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


# --- The day's cash and fiscal receipts ---------------------------------------------------


def _day(request) -> date:
    return parse_date(request.GET.get("day", "") or "") or timezone.localdate()


@staff(Role.ADMINISTRATOR, *MONEY)
def cash(request):
    site = _site(request)
    day = _day(request)
    mine = CashDay.objects.filter(site=site, cashier=request.user, day=day).first()
    return render(
        request,
        "billing/cash.html",
        {
            "site": site,
            "day": day,
            "report": selectors.cash_report(site, day),
            "till": mine,
            "may_take": request.user.has_role(*MONEY),
            "till_form": TillForm(),
            "today": timezone.localdate(),
        },
    )


@staff(*MONEY)
@require_POST
def open_till(request):
    site = _site(request)
    return _post(
        request, redirect("billing:cash"),
        lambda data: services.open_till(
            site, day=timezone.localdate(), opening_kopecks=data["amount"], actor=request.user,
        ),
        form=TillForm(request.POST), site=site,
    )  # fmt: skip


@staff(*MONEY)
@require_POST
def close_till(request):
    site = _site(request)
    form = TillForm(request.POST)
    till = CashDay.objects.filter(site=site, cashier=request.user, day=timezone.localdate()).first()
    if till is None:
        raise Http404
    return _post(
        request, redirect("billing:cash"),
        lambda data: services.close_till(till, counted_kopecks=data["amount"], actor=request.user),
        form=form, site=site,
    )  # fmt: skip


@staff(Role.ADMINISTRATOR, *MONEY)
def receipts(request):
    site = _site(request)
    return render(
        request,
        "billing/receipts.html",
        {
            "site": site,
            "failed": selectors.failed_receipts(site),
            "may_retry": request.user.has_role(*MONEY),
        },
    )


@staff(*MONEY, object_rule="billing.access.get_receipt_for")
@require_POST
def retry_receipt(request, key):
    receipt = access.get_receipt_for(request.user, key)
    return _post(
        request, redirect("billing:receipts"),
        lambda _data: services.retry_receipt(receipt, actor=request.user),
        _("The receipt will be registered again."), obj=receipt,
    )  # fmt: skip


# --- Reports ----------------------------------------------------------------------------


@staff(Role.ADMINISTRATOR)
def reports(request):
    site = _site(request)
    return render(
        request,
        "billing/reports.html",
        {
            "site": site,
            "revenue": selectors.revenue_rows(site),
            "outstanding": selectors.outstanding(site),
            "usage": selectors.package_usage(site),
        },
    )


def _uah(kopecks: int) -> str:
    # For spreadsheets: a plain decimal point, no grouping.
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole}.{part:02d}"


@staff(Role.ADMINISTRATOR)
def report_csv(request, report):
    site = _site(request)
    if report == "revenue":
        header = [_("Site"), _("Month"), _("Kind"), _("Service"), _("Amount, UAH")]
        rows = [
            (name, month.strftime("%Y-%m"), kind, service, _uah(amount))
            for name, month, kind, service, amount in selectors.revenue_rows(site)
        ]
    elif report == "outstanding":
        header = [_("Record number"), _("Patient"), _("Balance, UAH")]
        rows = [
            (p.record_number, str(p), _uah(amount)) for p, amount in selectors.outstanding(site)
        ]
    elif report == "packages":
        header = [
            _("Record number"),
            _("Package"),
            _("Sold"),
            _("Visits"),
            _("Used"),
            _("Used, UAH"),
        ]
        rows = [
            (item.patient.record_number, item.package.name, item.sold_at.date().isoformat(),
             item.units, used, _uah(value))
            for item, used, value in selectors.package_usage(site)
        ]  # fmt: skip
    else:
        raise Http404
    return csv_response(f"{report}-{site.code}.csv", header, rows)
