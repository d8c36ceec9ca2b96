"""Who may see and change money. One funnel per object type.

- Receptionists and cashiers take payments and see the accounts of patients of their sites.
- Clinical staff see a patient's account (read only) only where the site enables it
  (`SiteBilling.clinical_staff_see_balances`).
- Administrators edit prices and read the reports; they do not take money.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from clinic.accounts.roles import Role
from clinic.billing.models import Charge, FiscalReceipt, Invoice, Payment, SiteBilling
from clinic.patients.models import Patient

MONEY_ROLES = (Role.RECEPTIONIST, Role.CASHIER)
CLINICAL_ROLES = (Role.PHYSICIAN, Role.NURSE, Role.PSYCHOTHERAPIST)


def can_take_money(user, site_id) -> bool:
    return user.has_role(*MONEY_ROLES) and site_id in user.site_ids


def can_see_account(user, patient: Patient) -> bool:
    if patient.home_site_id not in user.site_ids:
        return False
    if user.has_role(*MONEY_ROLES):
        return True
    return (
        user.has_role(*CLINICAL_ROLES)
        and SiteBilling.objects.filter(
            site_id=patient.home_site_id, clinical_staff_see_balances=True
        ).exists()
    )


def get_account_for(user, patient_id) -> Patient:
    """The patient whose account the user may read (404 outside their sites)."""
    patient = Patient.objects.select_related("home_site").filter(public_id=patient_id).first()
    if patient is None or patient.home_site_id not in user.site_ids:
        raise Http404
    if not can_see_account(user, patient):
        raise PermissionDenied
    return patient


def get_payable_patient_for(user, patient_id) -> Patient:
    """The patient a receptionist or cashier may charge or take money from."""
    patient = get_account_for(user, patient_id)
    if not can_take_money(user, patient.home_site_id):
        raise PermissionDenied
    return patient


def get_payment_for(user, payment_id) -> Payment:
    payment = Payment.objects.select_related("patient", "site").filter(public_id=payment_id).first()
    if payment is None or not can_take_money(user, payment.site_id):
        raise Http404
    return payment


def get_charge_for(user, charge_id) -> Charge:
    charge = Charge.objects.select_related("patient", "site").filter(public_id=charge_id).first()
    if charge is None or not can_take_money(user, charge.site_id):
        raise Http404
    return charge


def get_invoice_for(user, invoice_id) -> Invoice:
    invoice = Invoice.objects.select_related("patient", "site").filter(public_id=invoice_id).first()
    if invoice is None or invoice.site_id not in user.site_ids:
        raise Http404
    if not (can_take_money(user, invoice.site_id) or user.has_role(Role.ADMINISTRATOR)):
        raise PermissionDenied
    return invoice


def get_receipt_for(user, key) -> FiscalReceipt:
    receipt = FiscalReceipt.objects.select_related("payment__site").filter(key=key).first()
    if receipt is None or receipt.payment.site_id not in user.site_ids:
        raise Http404
    return receipt
