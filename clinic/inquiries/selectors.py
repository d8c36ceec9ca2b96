from clinic.inquiries.models import Inquiry


def new_inquiries_count(user) -> int:
    """New inquiries at the user's sites, for the count in the staff menu."""
    return Inquiry.objects.at_sites(user.site_ids).new().count()
