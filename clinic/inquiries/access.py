from django.http import Http404

from clinic.inquiries.models import Inquiry


def get_inquiry_for(user, public_id) -> Inquiry:
    """An inquiry for a site the user works at (the view's policy checks the role)."""
    inquiry = (
        Inquiry.objects.select_related("site", "assigned_to", "consent", "patient")
        .filter(public_id=public_id)
        .first()
    )
    if inquiry is None or inquiry.site_id not in user.site_ids:
        raise Http404
    return inquiry
