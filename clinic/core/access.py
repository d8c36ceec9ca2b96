from django.http import Http404

from clinic.core.models import OutboxMessage


def get_outbox_message_for(user, message_id) -> OutboxMessage:
    """An outgoing message an administrator may act on (the view's policy checks the role)."""
    message = OutboxMessage.objects.filter(message_id=message_id).first()
    if message is None:
        raise Http404
    return message
