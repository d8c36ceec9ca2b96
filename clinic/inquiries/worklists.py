"""Inquiries' worklist on the staff start page (clinic.core.worklists)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from clinic.core.worklists import CAP, WorkItem
from clinic.inquiries.models import Inquiry


def new_inquiries(user, site) -> list[WorkItem]:
    inquiries = Inquiry.objects.at_sites([site.pk]).new().order_by("received_at", "pk")[:CAP]
    return [
        WorkItem(
            text=inquiry.name,
            url=reverse("inquiries:detail", kwargs={"inquiry_id": inquiry.public_id}),
            detail=date_format(timezone.localtime(inquiry.received_at), "d.m.Y H:i"),
        )
        for inquiry in inquiries
    ]
