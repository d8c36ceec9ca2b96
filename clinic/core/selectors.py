from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from clinic.core.models import AuditEvent


def audit_events_for(admin, filters: dict):
    """Audit events an administrator may read (their sites, and events with no site)."""
    events = AuditEvent.objects.filter(Q(site_id__in=admin.site_ids) | Q(site__isnull=True))
    if filters.get("patient"):
        events = events.filter(patient__record_number__iexact=filters["patient"].strip())
    if filters.get("actor"):
        events = events.filter(actor_label__icontains=filters["actor"].strip())
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"].strip())
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        events = events.filter(at__gte=datetime.combine(filters["date_from"], time.min, tz))
    if filters.get("date_to"):
        end = datetime.combine(filters["date_to"] + timedelta(days=1), time.min, tz)
        events = events.filter(at__lt=end)
    return events.select_related("patient", "site").order_by("-at", "-id")
