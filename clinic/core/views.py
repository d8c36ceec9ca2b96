import sys

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.core.access import get_outbox_message_for
from clinic.core.audit import VISITOR, audit
from clinic.core.exports import csv_response
from clinic.core.forms import AuditFilterForm
from clinic.core.jobs import heartbeats_overview, stale_jobs
from clinic.core.models import AuditEvent, OutboxMessage
from clinic.core.outbox import retry_message
from clinic.core.policy import ADMINISTRATOR, public, recently_authenticated, staff
from clinic.core.selectors import audit_events_for


@staff(ADMINISTRATOR)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events_for(request.user, filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit(request.user, "audit.viewed", reason=form.describe() if filters else "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@staff(ADMINISTRATOR)
@recently_authenticated
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        messages.error(request, _("Correct the filter before exporting."))
        return redirect("core:audit_log")
    filters = form.cleaned_data if request.GET else {}
    events = audit_events_for(request.user, filters)
    audit(request.user, "audit.exported", reason=form.describe() if filters else "")
    header = [
        "seq",
        "time",
        "actor",
        "action",
        "outcome",
        "patient",
        "object type",
        "object id",
        "site",
        "IP",
        "user agent",
        "reason",
        "row hash",
        "chain",
    ]
    rows = (
        (
            e.seq,
            timezone.localtime(e.at).isoformat(),
            e.actor_label,
            e.action,
            e.outcome,
            e.patient.record_number if e.patient else "",
            e.object_type,
            e.object_id,
            e.site.code if e.site else "",
            e.ip,
            e.user_agent,
            e.reason,
            e.row_hash,
            e.chain,
        )
        for e in events.iterator(chunk_size=1000)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(f"audit-{stamp}.csv", header, rows)


@staff(ADMINISTRATOR)
def outbox(request):
    status = request.GET.get("status", "")
    visible = OutboxMessage.objects.visible_to(request.user)
    messages_qs = (
        visible.filter(status=status) if status in OutboxMessage.Status.values else visible
    )
    page = Paginator(messages_qs, 50).get_page(request.GET.get("page"))
    counts = {s: visible.filter(status=s).count() for s in OutboxMessage.Status}
    return render(
        request,
        "core/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": OutboxMessage.Status.choices,
            "counts": counts,
            "jobs": heartbeats_overview(),
        },
    )


@staff(ADMINISTRATOR, object_rule="core.access.get_outbox_message_for")
@require_POST
def outbox_retry(request, message_id):
    message = get_outbox_message_for(request.user, message_id)
    retry_message(message, actor=request.user)
    messages.success(request, _("The message will be sent again."))
    return redirect("core:outbox")


# The two probes are answered by HealthProbeMiddleware before the session, the host check and
# the HTTPS redirect; they must not touch request.session or request.user.
@public
def healthz(request):
    """The process is up; says nothing about the database (that is /readyz)."""
    return JsonResponse({"status": "ok"})


@public
def readyz(request):
    """The database answers, and the worker's periodic jobs have run lately (core.jobs)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        stale = stale_jobs()
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    if stale:
        return JsonResponse({"status": "jobs stale", "jobs": stale}, status=503)
    return JsonResponse({"status": "ok"})


def _is_database_outage(exc) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


@public
def server_error(request):
    """500, except when the database is unreachable: then 503 with Retry-After."""
    exc = sys.exc_info()[1]
    if _is_database_outage(exc):
        # Rendered without the request: context processors would query the database.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)


@public
def permission_denied(request, exception=None):
    try:
        actor = request.user if request.user.is_authenticated else VISITOR
        audit(actor, "access.denied", outcome=AuditEvent.Outcome.DENIED, reason=request.path[:500])
    except DatabaseError:
        pass  # the refusal stands even when it cannot be recorded
    return render(request, "403.html", status=403)


@public
def page_not_found(request, exception=None):
    """404 in the staff layout; the public site answers its own paths (website.views)."""
    return render(request, "404.html", status=404)
