"""Billing's worklist on the staff start page (core.worklists)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from clinic.billing import money
from clinic.billing.selectors import failed_receipts
from clinic.core.worklists import CAP, WorkItem


def receipts_to_retry(user, site):
    """Payments whose fiscal registration failed: the cashier retries them."""
    if site is None:
        return []
    url = reverse("billing:receipts")
    return [
        WorkItem(
            text=_("Receipt not registered: %(amount)s UAH")
            % {"amount": money.format_uah(receipt.payment.signed_kopecks)},
            url=url,
            detail=receipt.delivery.last_error,
            when=receipt.payment.taken_at,
            urgent=True,
        )
        for receipt in failed_receipts(site)[:CAP]
    ]
