from django.tasks import task

from clinic.core import outbox


@task
def deliver_outbox():
    """Send due outbox messages; if some wait for a retry, come back when the first is due."""
    counts = outbox.deliver_due()
    next_due = outbox.next_due_time()
    if next_due is not None and counts["retry"]:
        outbox.schedule_delivery(run_after=next_due)
    return counts
