from django.http import Http404

from clinic.core.audit import audit
from clinic.core.models import AuditEvent, OutboxMessage


def get_outbox_message_for(user, message_id) -> OutboxMessage:
    """An outgoing message an administrator may act on (the view's policy checks the role):
    one of their sites' messages, or one of no site. Another site's answers 404, audited."""
    message = OutboxMessage.objects.filter(message_id=message_id).first()
    if message is None:
        raise Http404
    if message.site_id is not None and message.site_id not in user.site_ids:
        audit(
            user,
            "outbox.message.denied",
            obj=message,
            site=message.site,
            outcome=AuditEvent.Outcome.DENIED,
        )
        raise Http404
    return message
